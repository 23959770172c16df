"""POST /webhooks/events over real HTTP: Standard Webhooks signatures, replays, validation, the queue."""

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from cord_sync.publish import reset_publisher
from cord_sync.webhooks import door
from http_gateway import http_api_event, invoke
from tests.webhooks.conftest import SIGNING_KEY, WEBHOOK_SECRET, call, put_secret

NOW = 1_796_300_000  # a fixed clock: 2026-12-03T...
OTHER_KEY = b"the-next-signing-key-after-rotat"


def user_event(n=1, **data):
    return {
        "type": "user.upsert",
        "id": f"evt-{n}",
        "time": "2026-12-03T09:00:00Z",
        "source": "partner.hr-system",
        "data": {"id": f"u-{n}", "email": f"person{n}@example.com", **data},
    }


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks v1, computed here independently of the code under test."""
    mac = hmac.new(key, msg_id.encode() + b"." + str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def signed(body, *, key=SIGNING_KEY, msg_id=None, timestamp=NOW, signatures=None, content_type="application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    headers = {
        "Content-Type": content_type,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures or signature(key, msg_id, timestamp, raw),
    }
    return raw, headers


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(door, "clock", lambda: float(NOW))


def post(gateway, raw, headers):
    return call(gateway, "POST", "/webhooks/events", raw, headers)


def test_one_signed_event_is_enqueued_as_sent(stack, gateway):
    raw, headers = signed(user_event(1, name="Ada Lovelace"))
    reply = post(gateway, raw, headers)
    assert (reply.status, reply.body) == (202, {"accepted": 1, "webhook_id": headers["webhook-id"]})
    assert stack.messages() == [user_event(1, name="Ada Lovelace")]


def test_an_array_of_events_is_enqueued(stack, gateway):
    events = json.loads((Path(__file__).resolve().parents[2] / "events" / "webhook_partner_events.json").read_text())
    reply = post(gateway, *signed(events))
    assert (reply.status, reply.body["accepted"]) == (202, 3)
    assert sorted(stack.messages(), key=lambda e: e["id"]) == events


@pytest.mark.parametrize("skew", [-300, -299, 0, 299, 300])
def test_timestamps_within_five_minutes_pass(stack, gateway, skew):
    assert post(gateway, *signed(user_event(), timestamp=NOW + skew)).status == 202


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"timestamp": NOW - 301}, "old"),
        ({"timestamp": NOW + 301}, "in the future"),
        ({"key": OTHER_KEY}, "no webhook-signature matches"),
        ({"signatures": "v1,"}, "no webhook-signature matches"),
        ({"signatures": "v1a,c2lnbmF0dXJl v2,abc"}, "no webhook-signature matches"),
        ({"signatures": "garbage"}, "no webhook-signature matches"),
    ],
)
def test_forged_and_stale_requests_are_refused(stack, gateway, change, reason):
    reply = post(gateway, *signed(user_event(), **change))
    assert (reply.status, reply.body["error"]) == (401, "unauthorized")
    assert reason in reply.body["message"]
    assert stack.messages() == []


def test_a_tampered_body_or_header_is_refused(stack, gateway):
    raw, headers = signed(user_event())
    tampered = raw.replace(b"person1@", b"mallory@")
    assert post(gateway, tampered, headers).status == 401
    assert post(gateway, raw, {**headers, "webhook-id": headers["webhook-id"] + "x"}).status == 401
    assert post(gateway, raw, {**headers, "webhook-timestamp": str(NOW + 1)}).status == 401
    assert stack.messages() == []


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_unsigned_requests_are_refused(stack, gateway, missing):
    raw, headers = signed(user_event())
    del headers[missing]
    reply = post(gateway, raw, headers)
    assert (reply.status, reply.body["error"]) == (401, "unauthorized")
    assert "unsigned" in reply.body["message"]


@pytest.mark.parametrize("stamp", ["1796300000.5", "-1796300000", "soon", "1" * 20])
def test_malformed_timestamps_are_refused(stack, gateway, stamp):
    raw, headers = signed(user_event())
    reply = post(gateway, raw, {**headers, "webhook-timestamp": stamp})
    assert reply.status == 401


def test_a_replay_is_refused_and_enqueues_nothing(stack, gateway):
    raw, headers = signed(user_event())
    assert post(gateway, raw, headers).status == 202
    reply = post(gateway, raw, headers)
    assert (reply.status, reply.body["error"]) == (401, "unauthorized")
    assert "replayed" in reply.body["message"]
    # The same id signed again later (a retry) is still a replay while it is remembered.
    assert post(gateway, *signed(user_event(), msg_id=headers["webhook-id"], timestamp=NOW + 60)).status == 401
    assert len(stack.messages()) == 1
    item = stack.dynamodb.get_item(
        TableName="cord-sync-state",
        Key={"pk": {"S": f"webhook#{headers['webhook-id']}"}, "sk": {"S": "webhook-replay"}},
    )["Item"]
    assert int(item["expires_at"]["N"]) == NOW + 300 + 60


def test_the_same_id_with_another_body_is_refused_even_when_signed(stack, gateway):
    """A valid signature does not make a remembered id new again: the second body is never enqueued."""
    raw, headers = signed(user_event(1))
    assert post(gateway, raw, headers).status == 202
    reply = post(gateway, *signed(user_event(2), msg_id=headers["webhook-id"]))
    assert (reply.status, reply.body["error"]) == (401, "unauthorized")
    assert [event["id"] for event in stack.messages()] == ["evt-1"]


@pytest.mark.parametrize(("later", "status"), [(360, 401), (361, 202)])
def test_a_replay_record_lasts_until_the_tolerance_and_a_minute_have_passed(stack, gateway, monkeypatch, later, status):
    raw, headers = signed(user_event())
    assert post(gateway, raw, headers).status == 202
    monkeypatch.setattr(door, "clock", lambda: float(NOW + later))
    assert post(gateway, *signed(user_event(), msg_id=headers["webhook-id"], timestamp=NOW + later)).status == status


def test_an_expired_replay_record_does_not_block_the_id(stack, gateway, monkeypatch):
    raw, headers = signed(user_event())
    assert post(gateway, raw, headers).status == 202
    later = NOW + 420
    monkeypatch.setattr(door, "clock", lambda: float(later))
    assert post(gateway, *signed(user_event(), msg_id=headers["webhook-id"], timestamp=later)).status == 202


def test_rotated_keys_and_several_signatures(stack, gateway):
    put_secret(stack.webhook_secret_arn, f"{WEBHOOK_SECRET} whsec_{base64.b64encode(OTHER_KEY).decode()}")
    try:
        for key in (SIGNING_KEY, OTHER_KEY):
            assert post(gateway, *signed(user_event(), key=key)).status == 202
        raw = json.dumps(user_event()).encode()
        msg_id = "msg_rotating_sender"
        several = " ".join(
            [
                signature(b"an-old-key-the-sender-still-has", msg_id, NOW, raw),
                "v2,ignored",
                signature(OTHER_KEY, msg_id, NOW, raw),
            ]
        )
        assert post(gateway, *signed(raw, msg_id=msg_id, signatures=several)).status == 202
    finally:
        put_secret(stack.webhook_secret_arn, WEBHOOK_SECRET)


def test_a_request_signed_by_svix_under_its_own_header_names_is_enqueued(stack, gateway):
    raw, headers = signed(user_event())
    svix = {name.replace("webhook-", "svix-"): value for name, value in headers.items()}
    assert post(gateway, raw, svix).status == 202
    assert post(gateway, raw, svix).status == 401  # the same replay protection
    assert stack.messages() == [user_event()]


def test_two_signature_headers_joined_by_the_http_api_pass(stack, webhooks_app):
    """A sender signing with two keys in two webhook-signature headers: API Gateway joins them with a comma."""
    raw = json.dumps(user_event()).encode()
    msg_id = "msg_two_headers"
    pairs = [
        ("Content-Type", "application/json"),
        ("webhook-id", msg_id),
        ("webhook-timestamp", str(NOW)),
        ("webhook-signature", signature(b"a-retired-key-the-sender-still-has", msg_id, NOW, raw)),
        ("webhook-signature", signature(SIGNING_KEY, msg_id, NOW, raw)),
    ]
    event = http_api_event("POST", "/webhooks/events", headers=pairs, body=raw)
    assert event["headers"]["webhook-signature"].count(",v1,") == 1
    assert invoke(webhooks_app.lambda_handler, event).status == 202
    assert len(stack.messages()) == 1


def test_secret_without_prefix_and_malformed_secrets(stack, gateway):
    put_secret(stack.webhook_secret_arn, base64.b64encode(OTHER_KEY).decode())
    try:
        assert post(gateway, *signed(user_event(), key=OTHER_KEY)).status == 202
        put_secret(stack.webhook_secret_arn, "whsec_not*base64")
        reply = post(gateway, *signed(user_event(), key=OTHER_KEY))
        assert (reply.status, reply.body["error"]) == (503, "not_configured")
    finally:
        put_secret(stack.webhook_secret_arn, WEBHOOK_SECRET)


def test_an_invalid_event_is_named_and_nothing_is_enqueued(stack, gateway):
    events = [user_event(1), user_event(2, email="not-an-email"), user_event(3)]
    raw, headers = signed(events)
    reply = post(gateway, raw, headers)
    assert reply.status == 400
    assert reply.body == {
        "error": "invalid_event",
        "message": "event 1 (id 'evt-2'): event.data.email is not a valid email address",
    }
    assert stack.messages() == []
    # The id was not used up: the corrected request goes through.
    fixed = [user_event(1), user_event(2), user_event(3)]
    assert post(gateway, *signed(fixed, msg_id=headers["webhook-id"])).status == 202


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "the array holds no events"),
        ([user_event(n) for n in range(101)], "at most 100 events per request, got 101"),
        (["user.upsert"], "event 0: must be a JSON object"),
        (
            {"type": "user.created", "id": "e", "time": "2026-12-03T09:00:00Z", "source": "p", "data": {"id": "u"}},
            "event 0 (id 'e'): event.type must be one of",
        ),
        ({**user_event(), "time": "2026-12-03 09:00"}, "event 0 (id 'evt-1'): event.time must be date-time"),
    ],
)
def test_bodies_that_are_not_canonical_events(stack, gateway, body, message):
    reply = post(gateway, *signed(body))
    assert reply.status == 400
    assert reply.body["message"].startswith(message)
    assert stack.messages() == []


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "error"),
    [
        (b"{not json", "application/json", 400, "malformed_json"),
        (b"[" * 100_000, "application/json", 400, "malformed_json"),
        (b'{"x": Infinity}', "application/json", 400, "malformed_json"),
        (
            b'{"type":"user.deactivate","id":"e","time":"2026-12-03T09:00:00Z","source":"p","data":{"id":1e999}}',
            "application/json",
            400,
            "malformed_json",
        ),
        (b"{}", "text/plain", 415, "unsupported_media_type"),
        (b"{}", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"{}", "application/octet-stream", 415, "unsupported_media_type"),
        (b" " * (1024 * 1024 + 1), "application/json", 413, "payload_too_large"),
    ],
)
def test_bad_bodies_get_json_errors(stack, gateway, raw, content_type, status, error):
    reply = post(gateway, *signed(raw, content_type=content_type))
    assert (reply.status, reply.body["error"]) == (status, error)
    assert stack.messages() == []


def test_an_invalid_events_huge_id_is_not_echoed(stack, gateway):
    reply = post(gateway, *signed({**user_event(), "id": "e" * 500_000}))
    assert (reply.status, reply.body["error"]) == (400, "invalid_event")
    assert len(reply.body["message"]) < 1_000


def test_a_body_with_a_utf8_byte_order_mark_is_read(stack, gateway):
    """RFC 8259 lets parsers ignore a BOM; some Windows tools write one. The signature covers it as sent."""
    raw = b"\xef\xbb\xbf" + json.dumps(user_event()).encode()
    assert post(gateway, *signed(raw)).status == 202
    assert stack.messages() == [user_event()]


def test_the_size_limit_comes_before_authentication(stack, gateway):
    reply = post(gateway, b" " * (1024 * 1024 + 1), {"Content-Type": "application/json"})
    assert reply.status == 413


def test_no_signing_secret_or_table_refuses_everything(stack, gateway, monkeypatch):
    raw, headers = signed(user_event())
    monkeypatch.delenv("WEBHOOK_SECRET_ARN")
    assert post(gateway, raw, headers).body == {"error": "not_configured", "message": "this webhook is not configured"}
    monkeypatch.setenv("WEBHOOK_SECRET_ARN", stack.webhook_secret_arn)
    monkeypatch.delenv("STATE_TABLE_NAME")
    assert post(gateway, raw, headers).status == 503
    assert stack.messages() == []
    monkeypatch.setenv("STATE_TABLE_NAME", "cord-sync-state")
    assert post(gateway, raw, headers).status == 202  # nothing remembered the id on the way


def test_a_failed_enqueue_releases_the_id_for_the_retry(stack, gateway, monkeypatch):
    raw, headers = signed(user_event())
    monkeypatch.setenv("SYNC_QUEUE_URL", stack.queue_url + "-missing")
    reply = post(gateway, raw, headers)
    assert (reply.status, reply.body["error"]) == (503, "unavailable")
    monkeypatch.setenv("SYNC_QUEUE_URL", stack.queue_url)
    assert post(gateway, raw, headers).status == 202
    assert len(stack.messages()) == 1


def test_no_queue_configured_releases_the_id_too(stack, gateway, monkeypatch):
    raw, headers = signed(user_event())
    monkeypatch.delenv("SYNC_QUEUE_URL")
    assert post(gateway, raw, headers).body["error"] == "not_configured"
    monkeypatch.setenv("SYNC_QUEUE_URL", stack.queue_url)
    assert post(gateway, raw, headers).status == 202


def test_an_unreachable_table_answers_503(stack, gateway, monkeypatch):
    monkeypatch.setenv("STATE_TABLE_NAME", "no-such-table")
    reply = post(gateway, *signed(user_event()))
    assert (reply.status, reply.body["error"]) == (503, "unavailable")
    assert stack.messages() == []


def blackholed(service, monkeypatch, run):
    """Run `run()` in a thread with `service`'s endpoint on a socket that never answers; (outcome, seconds)."""
    with socket.socket() as blackhole:  # accepts connections (backlog), never answers
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(8)
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", f"http://127.0.0.1:{blackhole.getsockname()[1]}")
        door.reset()
        reset_publisher()
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.update(r=run()), daemon=True)
        started = time.perf_counter()
        worker.start()
        worker.join(timeout=10)
        elapsed = time.perf_counter() - started
    monkeypatch.delenv(f"AWS_ENDPOINT_URL_{service}")
    door.reset()
    reset_publisher()
    assert "r" in outcome, f"still waiting for {service} after 10 s"
    return outcome["r"], elapsed


def test_a_queue_that_does_not_answer_is_a_503_in_time_and_the_retry_is_accepted(stack, webhooks_app, monkeypatch):
    """Past the function's 5 s timeout the webhook-id would stay claimed, and the sender's retries be 'replays'."""
    raw, headers = signed(user_event())
    event = http_api_event("POST", "/webhooks/events", headers=headers, body=raw)
    response, elapsed = blackholed("SQS", monkeypatch, lambda: invoke(webhooks_app.lambda_handler, event))
    assert (response.status, response.json()["error"]) == (503, "unavailable")
    assert elapsed < 4.5, elapsed  # the function times out at 5 s
    assert invoke(webhooks_app.lambda_handler, event).status == 202
    assert len(stack.messages()) == 1


def test_a_table_that_does_not_answer_is_a_503_within_the_function_timeout(stack, webhooks_app, monkeypatch):
    """DynamoDB's default client waits 60 s per read and retries: the 5 s function would time out instead."""
    raw, headers = signed(user_event())
    event = http_api_event("POST", "/webhooks/events", headers=headers, body=raw)
    response, elapsed = blackholed("DYNAMODB", monkeypatch, lambda: invoke(webhooks_app.lambda_handler, event))
    assert (response.status, response.json()["error"]) == (503, "unavailable")
    assert elapsed < 4.5, elapsed  # the function times out at 5 s
    assert stack.messages() == []


def test_a_base64_encoded_body_is_verified_as_sent(stack, webhooks_app):
    raw, headers = signed(user_event())
    event = http_api_event("POST", "/webhooks/events", headers=headers, body=raw)
    event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    assert invoke(webhooks_app.lambda_handler, event).status == 202
    event = http_api_event("POST", "/webhooks/events", headers=headers, body=raw)
    event["body"], event["isBase64Encoded"] = "%%%", True
    assert invoke(webhooks_app.lambda_handler, event).status in (400, 401)
