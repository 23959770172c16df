"""How fast the webhook function acknowledges: medians of in-process invocations (200 Okta deliveries), moto behind.

Okta gives an event hook 3 s. The figures (printed with `pytest -s`) include the SQS send (and, for signed
webhooks, the replay record) in moto, its queue emptied after each call; the Secrets Manager value is cached,
as in a warm container.
"""

import base64
import hashlib
import hmac
import json
import statistics
import time
import uuid
from pathlib import Path

from http_gateway import http_api_event, invoke
from tests.webhooks.conftest import OKTA_SECRET, SIGNING_KEY

DELIVERY = (Path(__file__).resolve().parents[2] / "events" / "okta_hook_delivery.json").read_text()
CALLS = 200


def take(stack, count):
    got = stack.sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == count
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
    stack.sqs.delete_message_batch(QueueUrl=stack.queue_url, Entries=entries)


def timed(stack, handler, make_event, expected_status, enqueued, calls=CALLS):
    times = []
    for _ in range(calls):
        event = make_event()
        start = time.perf_counter()
        response = invoke(handler, event)
        times.append(time.perf_counter() - start)
        assert response.status == expected_status, response.body
        if enqueued:
            take(stack, enqueued)  # moto's SQS slows down as its queue grows; SQS does not
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000


def signed_event():
    body = json.dumps(
        {"type": "user.deactivate", "id": "e1", "time": "2026-12-03T10:00:00Z", "source": "hr", "data": {"id": "u1"}}
    )
    msg_id, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    mac = hmac.new(SIGNING_KEY, f"{msg_id}.{stamp}.{body}".encode(), hashlib.sha256).digest()
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    return http_api_event("POST", "/webhooks/events", headers=headers, body=body)


def test_acknowledgement_time(stack, webhooks_app, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    handler = webhooks_app.lambda_handler
    okta_headers = {"authorization": OKTA_SECRET, "content-type": "application/json"}
    okta = timed(
        stack, handler, lambda: http_api_event("POST", "/webhooks/okta", headers=okta_headers, body=DELIVERY), 200, 5
    )
    signed = timed(stack, handler, signed_event, 202, 1, calls=100)
    refused_headers = {"authorization": "wrong", "content-type": "application/json"}
    refused = timed(
        stack,
        handler,
        lambda: http_api_event("POST", "/webhooks/okta", headers=refused_headers, body=DELIVERY),
        401,
        0,
        50,
    )
    print(
        f"\nwebhook acknowledgement, median / p95: Okta delivery of 5 events {okta[0]:.1f} / {okta[1]:.1f} ms "
        f"({CALLS} calls), signed event {signed[0]:.1f} / {signed[1]:.1f} ms (100 calls), "
        f"refused {refused[0]:.1f} / {refused[1]:.1f} ms (50 calls)"
    )
    assert okta[0] < 500 and signed[0] < 500  # Okta allows 3 s; this leaves room for a cold Lambda and real SQS
