"""POST/GET /webhooks/okta over real HTTP: verification, the Authorization secret, deliveries to the queue."""

import copy
import io
import json
import logging
import time
from pathlib import Path

import pytest

from cord_sync.observability import logger
from cord_sync.webhooks import MAX_REPORTED_INVALID
from http_gateway import http_api_event, invoke
from tests.webhooks.conftest import OKTA_SECRET, call, put_secret

EVENTS = Path(__file__).resolve().parents[2] / "events"
DELIVERY = json.loads((EVENTS / "okta_hook_delivery.json").read_text())
VERIFICATION = json.loads((EVENTS / "okta_hook_verification.json").read_text())
ADA = "00u1ada0LoVeLaCe4x7"
ENGINEERING = "00g1eng1nEeRiNg4x7"
JSON = {"Content-Type": "application/json"}
AUTH = {**JSON, "Authorization": OKTA_SECRET}


def test_verification_echoes_the_challenge(stack, gateway):
    reply = call(
        gateway, "GET", "/webhooks/okta", headers={"Authorization": OKTA_SECRET, "X-Okta-Verification-Challenge": "c4"}
    )
    assert (reply.status, reply.body) == (200, {"verification": "c4"})
    assert reply.headers["content-type"] == "application/json"


def test_verification_fixture_as_api_gateway_sends_it(stack, webhooks_app):
    event = copy.deepcopy(VERIFICATION)
    event["headers"]["authorization"] = OKTA_SECRET
    response = invoke(webhooks_app.lambda_handler, event)
    assert (response.status, response.json()) == (200, {"verification": "J2lxaXUZ1WpGvhmvwGrZM0-3pDDUdB9nGgK2L2NqSAA"})
    assert invoke(webhooks_app.lambda_handler, VERIFICATION).status == 401  # the fixture's local secret


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({"X-Okta-Verification-Challenge": "c4"}, 401, "unauthorized"),
        ({"X-Okta-Verification-Challenge": "c4", "Authorization": "guess"}, 401, "unauthorized"),
        ({"Authorization": OKTA_SECRET}, 400, "missing_challenge"),
    ],
)
def test_verification_needs_the_secret_and_the_challenge(stack, gateway, headers, status, error):
    reply = call(gateway, "GET", "/webhooks/okta", headers=headers)
    assert (reply.status, reply.body["error"]) == (status, error)
    assert "verification" not in reply.body


def test_delivery_enqueues_the_canonical_events(stack, gateway):
    reply = call(gateway, "POST", "/webhooks/okta", DELIVERY, AUTH)
    assert reply.status == 200
    assert reply.body == {"received": 5, "enqueued": 5, "skipped": 2, "invalid_count": 0, "invalid": []}
    queued = sorted(stack.messages(), key=lambda e: (e["time"], e["id"]))
    assert [(e["type"], e["id"], e["data"]) for e in queued] == [
        (
            "user.upsert",
            "7c8f4a5e-b1d2-11f0-9a3c-5f1e2d3c4b5a",
            {"id": ADA, "email": "ada@example.com", "name": "Ada Lovelace"},
        ),
        (
            "user.upsert",
            "7d1e2b6c-b1d2-11f0-9a3c-5f1e2d3c4b5a",
            {"id": ADA, "email": "ada@example.com", "name": "Ada Lovelace", "status": "active"},
        ),
        ("organization.members.add", "7e4a9c10-b1d2-11f0-8f27-1b9d6e0a2c44", {"id": ENGINEERING, "users": [ADA]}),
        (
            "organization.upsert",
            "7e4a9c10-b1d2-11f0-8f27-1b9d6e0a2c44#organization",
            {"id": ENGINEERING, "name": "Engineering"},
        ),
        (
            "user.upsert",
            "7e4a9c10-b1d2-11f0-8f27-1b9d6e0a2c44#user",
            {"id": ADA, "email": "ada@example.com", "name": "Ada Lovelace"},
        ),
    ]
    assert {e["source"] for e in queued} == {"okta"}


def test_id_sources_come_from_the_environment(stack, gateway, monkeypatch):
    monkeypatch.setenv("OKTA_USER_ID_SOURCE", "login")
    monkeypatch.setenv("OKTA_GROUP_ID_SOURCE", "name")
    assert call(gateway, "POST", "/webhooks/okta", DELIVERY, AUTH).status == 200
    adds = [e for e in stack.messages() if e["type"] == "organization.members.add"]
    assert adds[0]["data"] == {"id": "Engineering", "users": ["ada@example.com"]}


def test_bad_id_source_setting_refuses_deliveries(stack, gateway, monkeypatch):
    monkeypatch.setenv("OKTA_USER_ID_SOURCE", "email")
    reply = call(gateway, "POST", "/webhooks/okta", DELIVERY, AUTH)
    assert (reply.status, reply.body["error"]) == (503, "not_configured")
    assert stack.messages() == []


def test_a_malformed_event_is_left_out_and_the_rest_enqueued(stack, gateway):
    delivery = copy.deepcopy(DELIVERY)
    delivery["data"]["events"][1]["target"] = []  # the activation lost its User target
    delivery["data"]["events"].insert(0, "not an event")
    reply = call(gateway, "POST", "/webhooks/okta", delivery, AUTH)
    assert reply.status == 200
    assert (reply.body["enqueued"], reply.body["invalid_count"]) == (4, 2)
    assert reply.body["invalid"] == [
        {"index": 0, "uuid": None, "reason": "an Okta System Log event must be a JSON object"},
        {
            "index": 2,
            "uuid": "7d1e2b6c-b1d2-11f0-9a3c-5f1e2d3c4b5a",
            "reason": "Okta event 7d1e2b6c-b1d2-11f0-9a3c-5f1e2d3c4b5a (user.lifecycle.activate) has no User target",
        },
    ]
    assert len(stack.messages()) == 4


def test_an_out_of_range_published_time_is_one_invalid_event_not_a_500(stack, gateway):
    delivery = copy.deepcopy(DELIVERY)
    delivery["data"]["events"][0]["published"] = "0001-01-01T00:00:00+01:00"  # before year 1 in UTC
    reply = call(gateway, "POST", "/webhooks/okta", delivery, AUTH)
    assert reply.status == 200
    assert [entry["index"] for entry in reply.body["invalid"]] == [0]
    assert reply.body["enqueued"] == 4
    assert len(stack.messages()) == 4


def test_a_delivery_of_many_malformed_events_gets_a_short_answer_and_few_log_lines(stack, gateway, caplog):
    """A 1 MiB delivery of ~100k junk events once answered with a 9 MB body (over Lambda's 6 MB: a 5xx)."""
    good = DELIVERY["data"]["events"][0]
    delivery = {"data": {"events": [good, *([None] * 100_000)]}}
    caplog.set_level("INFO", logger="cord-sync")
    started = time.perf_counter()
    reply = call(gateway, "POST", "/webhooks/okta", delivery, AUTH)
    elapsed = time.perf_counter() - started
    assert reply.status == 200
    assert (reply.body["received"], reply.body["enqueued"], reply.body["invalid_count"]) == (100_001, 1, 100_000)
    assert len(reply.body["invalid"]) == MAX_REPORTED_INVALID
    assert len(json.dumps(reply.body)) < 10_000
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) <= MAX_REPORTED_INVALID + 1
    assert elapsed < 3  # Okta's deadline
    assert len(stack.messages()) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"uuid": "u" * 300_000},
        {"published": "p" * 300_000},
        {"uuid": "u" * 300_000, "target": "t"},
    ],
)
def test_huge_values_are_not_echoed_in_the_answer_or_the_logs(stack, gateway, caplog, change):
    delivery = copy.deepcopy(DELIVERY)
    delivery["data"]["events"][0].update(change)
    caplog.set_level("INFO", logger="cord-sync")
    reply = call(gateway, "POST", "/webhooks/okta", delivery, AUTH)
    assert (reply.status, reply.body["invalid_count"], reply.body["enqueued"]) == (200, 1, 4)
    assert len(json.dumps(reply.body)) < 5_000
    assert max(len(json.dumps(vars(record), default=str)) for record in caplog.records) < 5_000
    stack.messages()


@pytest.mark.parametrize(
    "headers",
    [
        JSON,
        {**JSON, "Authorization": "wrong"},
        {**JSON, "Authorization": OKTA_SECRET + " "},
        {**JSON, "Authorization": ""},
    ],
)
def test_wrong_or_missing_authorization_is_refused(stack, gateway, headers):
    reply = call(gateway, "POST", "/webhooks/okta", DELIVERY, headers)
    assert (reply.status, reply.body["error"]) == (401, "unauthorized")
    assert OKTA_SECRET not in json.dumps(reply.body)
    assert stack.messages() == []


def test_an_authorization_value_that_is_not_unicode_text_is_refused(stack, webhooks_app):
    event = http_api_event("POST", "/webhooks/okta", headers=JSON, body=json.dumps(DELIVERY))
    event["headers"]["authorization"] = OKTA_SECRET + "\udcff"  # a lone surrogate cannot be encoded
    response = invoke(webhooks_app.lambda_handler, event)
    assert (response.status, response.json()["error"]) == (401, "unauthorized")
    assert stack.messages() == []


def test_no_secret_configured_refuses_everything(stack, gateway, monkeypatch):
    monkeypatch.delenv("OKTA_HOOK_SECRET_ARN")
    for method, body in (("POST", DELIVERY), ("GET", None)):
        headers = {**AUTH, "X-Okta-Verification-Challenge": "c4"}
        reply = call(gateway, method, "/webhooks/okta", body, headers)
        assert (reply.status, reply.body) == (
            503,
            {"error": "not_configured", "message": "this webhook is not configured"},
        )
    monkeypatch.setenv("OKTA_HOOK_SECRET_ARN", stack.okta_secret_arn + "-gone")
    assert call(gateway, "POST", "/webhooks/okta", DELIVERY, AUTH).status == 503
    assert stack.messages() == []


def test_rotated_secret_accepts_both_values(stack, gateway):
    put_secret(stack.okta_secret_arn, f"{OKTA_SECRET}\nnext-okta-secret")
    try:
        for value in (OKTA_SECRET, "next-okta-secret"):
            assert call(gateway, "POST", "/webhooks/okta", DELIVERY, {**JSON, "Authorization": value}).status == 200
        joined = f"{OKTA_SECRET} next-okta-secret"
        assert call(gateway, "POST", "/webhooks/okta", DELIVERY, {**JSON, "Authorization": joined}).status == 401
    finally:
        put_secret(stack.okta_secret_arn, OKTA_SECRET)


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        (b"{" * 10, AUTH, 400, "malformed_json"),
        (b'{"data": {"events": [NaN]}}', AUTH, 400, "malformed_json"),
        (b"\xff\xfe{}", AUTH, 400, "malformed_json"),
        (b'{"data": {}}', AUTH, 400, "invalid_delivery"),
        (b"[]", AUTH, 400, "invalid_delivery"),
        (b"{}", {**AUTH, "Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        (b"{}", {"Authorization": OKTA_SECRET}, 415, "unsupported_media_type"),
        (b"{" + b" " * (1024 * 1024) + b"}", AUTH, 413, "payload_too_large"),
    ],
)
def test_bad_requests_get_json_errors(stack, gateway, body, headers, status, error):
    reply = call(gateway, "POST", "/webhooks/okta", body, headers)
    assert (reply.status, reply.body["error"]) == (status, error)
    assert isinstance(reply.body["message"], str) and reply.body["message"]
    assert stack.messages() == []


def test_content_type_with_charset_is_json(stack, gateway):
    headers = {**AUTH, "Content-Type": "application/json; charset=utf-8"}
    assert call(gateway, "POST", "/webhooks/okta", DELIVERY, headers).status == 200


def test_an_empty_delivery_is_fine(stack, gateway):
    reply = call(gateway, "POST", "/webhooks/okta", {"data": {"events": []}}, AUTH)
    assert (reply.status, reply.body["enqueued"]) == (200, 0)


def test_a_queue_that_cannot_take_the_events_answers_503(stack, gateway, monkeypatch):
    monkeypatch.setenv("SYNC_QUEUE_URL", stack.queue_url + "-missing")
    reply = call(gateway, "POST", "/webhooks/okta", DELIVERY, AUTH)
    assert (reply.status, reply.body["error"]) == (503, "unavailable")


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("DELETE", "/webhooks/okta", 405, "GET, POST"),
        ("PUT", "/webhooks/events", 405, "POST"),
        ("GET", "/webhooks/events", 405, "POST"),
        ("GET", "/webhooks/nowhere", 404, None),
        ("POST", "/webhooks", 404, None),
    ],
)
def test_unknown_routes_and_methods(stack, gateway, method, path, status, allow):
    reply = call(gateway, method, path, b"{}", AUTH)
    assert reply.status == status
    assert reply.body["error"] == ("method_not_allowed" if status == 405 else "not_found")
    assert reply.headers.get("allow") == allow


def test_the_secret_never_reaches_the_logs(stack, gateway):
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    logger.setLevel("DEBUG")
    try:
        headers = {"Authorization": OKTA_SECRET, "X-Okta-Verification-Challenge": "c"}
        call(gateway, "GET", "/webhooks/okta", headers=headers)
        call(gateway, "POST", "/webhooks/okta", DELIVERY, AUTH)
        call(gateway, "POST", "/webhooks/okta", DELIVERY, {**JSON, "Authorization": OKTA_SECRET[:-1]})
    finally:
        logger.removeHandler(handler)
        logger.setLevel("INFO")
    logged = buffer.getvalue()
    assert '"message":"Okta delivery enqueued"' in logged and '"status":401' in logged
    assert OKTA_SECRET[:-1] not in logged
