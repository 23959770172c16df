"""An Okta hook delivery and a signed webhook over HTTP, through the sync queue and its function, into Cord."""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

from cord_sync.publish import reset_publisher
from lambda_runtime import drain_queue
from tests.handlers.conftest import deployed, sync_queue_app  # noqa: F401 - fixtures used below
from tests.webhooks.conftest import OKTA_SECRET, SIGNING_KEY, call, configure, create_resources

DELIVERY = (Path(__file__).resolve().parents[2] / "events" / "okta_hook_delivery.json").read_bytes()
ADA = "00u1ada0LoVeLaCe4x7"


def test_okta_hook_and_signed_webhook_reach_cord(deployed, sync_queue_app, gateway, monkeypatch):  # noqa: F811
    emulator, app, _ = deployed
    stack = configure(monkeypatch, create_resources())
    reset_publisher()

    reply = call(
        gateway,
        "POST",
        "/webhooks/okta",
        DELIVERY,
        {"Authorization": OKTA_SECRET, "Content-Type": "application/json"},
    )
    assert (reply.status, reply.body["enqueued"]) == (200, 5)
    runs = drain_queue(stack.sqs, stack.queue_url, sync_queue_app.lambda_handler)
    assert [run.failed for run in runs] == [[]]

    users = emulator.users(app.app_id)
    assert users[ADA]["email"] == "ada@example.com"
    assert users[ADA]["name"] == "Ada Lovelace"
    assert users[ADA]["status"] == "active"
    organization = emulator.organizations(app.app_id)["00g1eng1nEeRiNg4x7"]
    assert (organization["name"], organization["members"]) == ("Engineering", [ADA])

    # A partner says Ada left, signed the Standard Webhooks way.
    body = json.dumps(
        {"type": "user.deactivate", "id": "hr-77", "time": "2026-12-03T10:00:00Z", "source": "hr", "data": {"id": ADA}}
    ).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(SIGNING_KEY, b"msg_hr_77." + stamp.encode() + b"." + body, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "webhook-id": "msg_hr_77",
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    assert call(gateway, "POST", "/webhooks/events", body, headers).status == 202
    runs = drain_queue(stack.sqs, stack.queue_url, sync_queue_app.lambda_handler)
    assert [run.failed for run in runs] == [[]]
    assert emulator.users(app.app_id)[ADA]["status"] == "deleted"
