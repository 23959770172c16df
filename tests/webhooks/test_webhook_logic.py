"""The webhook layer's pure pieces, without AWS or HTTP: the Standard Webhooks reference vector, keys, bodies."""

import base64

import pytest

from cord_sync.adapters.okta import OktaMapping
from cord_sync.errors import ConfigurationError
from cord_sync.webhooks import (
    HttpError,
    canonical_events,
    header,
    map_okta_delivery,
    parse_json,
    raw_body,
    require_json,
    signing_keys,
    verify_signature,
)

# The test vector published with the Standard Webhooks specification (and Svix's libraries).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_TIME = 1614265330


def request(headers):
    return {"headers": headers}


def test_the_reference_vector_verifies():
    keys = signing_keys((VECTOR_SECRET,))
    message = verify_signature(request(VECTOR_HEADERS), VECTOR_BODY, keys, now=VECTOR_TIME)
    assert (message.id, message.timestamp) == ("msg_p5jXN8AQM9LWM0D4loKWxJek", VECTOR_TIME)


def test_header_names_are_read_case_insensitively():
    mixed = {"Webhook-Id": VECTOR_HEADERS["webhook-id"], "WEBHOOK-TIMESTAMP": "1614265330"}
    mixed["Webhook-Signature"] = VECTOR_HEADERS["webhook-signature"]
    assert verify_signature(request(mixed), VECTOR_BODY, signing_keys((VECTOR_SECRET,)), now=VECTOR_TIME)
    assert header({"headers": {"X-Okta-Verification-Challenge": "c"}}, "x-okta-verification-challenge") == "c"
    assert header({}, "authorization") is None


def test_svix_header_names_are_read_when_no_webhook_headers_are_sent():
    """Svix, the reference sender of Standard Webhooks, names the headers svix-* unless white-labelled."""
    svix = {name.replace("webhook-", "svix-"): value for name, value in VECTOR_HEADERS.items()}
    message = verify_signature(request(svix), VECTOR_BODY, signing_keys((VECTOR_SECRET,)), now=VECTOR_TIME)
    assert message.id == VECTOR_HEADERS["webhook-id"]
    mixed = {**svix, "webhook-id": "msg_other"}  # one set or the other, never a mix of both
    with pytest.raises(HttpError) as caught:
        verify_signature(request(mixed), VECTOR_BODY, signing_keys((VECTOR_SECRET,)), now=VECTOR_TIME)
    assert caught.value.status == 401


@pytest.mark.parametrize(
    "signatures",
    [
        "v1,Zm9yZ2Vk " + VECTOR_HEADERS["webhook-signature"],  # the spec's space-separated list
        "v1,Zm9yZ2Vk," + VECTOR_HEADERS["webhook-signature"],  # two headers joined by API Gateway
        VECTOR_HEADERS["webhook-signature"] + ",v1a,Zm9v",
        "  " + VECTOR_HEADERS["webhook-signature"] + "\t",
    ],
)
def test_any_listed_signature_passes(signatures):
    headers = {**VECTOR_HEADERS, "webhook-signature": signatures}
    assert verify_signature(request(headers), VECTOR_BODY, signing_keys((VECTOR_SECRET,)), now=VECTOR_TIME)


@pytest.mark.parametrize(
    "signatures",
    [
        "v2," + VECTOR_HEADERS["webhook-signature"][3:],
        "v1a," + VECTOR_HEADERS["webhook-signature"][3:],
        VECTOR_HEADERS["webhook-signature"][3:],
        "v1," + VECTOR_HEADERS["webhook-signature"][3:-1],
        "v1,v1," + VECTOR_HEADERS["webhook-signature"][3:],
    ],
)
def test_signatures_of_other_versions_or_shapes_do_not_pass(signatures):
    headers = {**VECTOR_HEADERS, "webhook-signature": signatures}
    with pytest.raises(HttpError) as caught:
        verify_signature(request(headers), VECTOR_BODY, signing_keys((VECTOR_SECRET,)), now=VECTOR_TIME)
    assert caught.value.status == 401


@pytest.mark.parametrize(
    ("now", "body", "secret"),
    [
        (VECTOR_TIME + 301, VECTOR_BODY, VECTOR_SECRET),
        (VECTOR_TIME - 301, VECTOR_BODY, VECTOR_SECRET),
        (VECTOR_TIME, VECTOR_BODY + b" ", VECTOR_SECRET),
        (VECTOR_TIME, VECTOR_BODY, "whsec_" + base64.b64encode(b"another key").decode()),
    ],
)
def test_the_vector_fails_when_anything_changes(now, body, secret):
    with pytest.raises(HttpError) as caught:
        verify_signature(request(VECTOR_HEADERS), body, signing_keys((secret,)), now=now)
    assert caught.value.status == 401


def test_signing_keys_strip_the_prefix_and_skip_values_that_are_not_base64():
    raw = base64.b64encode(b"k1").decode()
    assert signing_keys((f"whsec_{raw}", raw, "whsec_%%%")) == [b"k1", b"k1"]
    with pytest.raises(ConfigurationError, match="holds no base64 key") as caught:
        signing_keys(("whsec_%%%", "not base64!"))
    assert "%%%" not in str(caught.value)


def test_canonical_events_limits():
    event = {"type": "user.deactivate", "id": "e", "time": "2026-12-03T09:00:00Z", "source": "s", "data": {"id": 7}}
    assert canonical_events(event) == [event]
    assert canonical_events([event] * 3, limit=3) == [event] * 3
    with pytest.raises(HttpError, match="at most 2 events"):
        canonical_events([event] * 3, limit=2)


def test_okta_delivery_counts():
    created = {
        "uuid": "u-1",
        "published": "2026-12-03T09:00:00Z",
        "eventType": "user.lifecycle.create",
        "outcome": {"result": "SUCCESS"},
        "target": [{"id": "00u1", "type": "User", "alternateId": "a@example.com", "displayName": "A"}],
    }
    body = {"data": {"events": [created, {**created, "uuid": "u-2", "outcome": {"result": "FAILURE"}}, {}]}}
    delivery = map_okta_delivery(body, OktaMapping())
    assert delivery.summary() == {"received": 3, "enqueued": 1, "skipped": 2, "invalid_count": 0, "invalid": []}
    for bad in ({}, {"data": []}, {"data": {"events": {}}}, []):
        with pytest.raises(HttpError, match=r"data\.events list"):
            map_okta_delivery(bad, OktaMapping())


def test_raw_body_limits_and_encodings():
    assert raw_body({"body": "héllo"}) == "héllo".encode()
    assert raw_body({"body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True}) == b"\x00\xff"
    assert raw_body({}) == b""
    for event in ({"body": "x" * 11}, {"body": base64.b64encode(b"x" * 11).decode(), "isBase64Encoded": True}):
        with pytest.raises(HttpError) as caught:
            raw_body(event, limit=10)
        assert caught.value.status == 413
    with pytest.raises(HttpError) as caught:
        raw_body({"body": "x" * 100, "isBase64Encoded": True}, limit=10)  # refused before decoding
    assert caught.value.status == 413


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("Application/JSON; charset=UTF-8", True),
        ("application/jsonx", False),
        (None, False),
    ],
)
def test_require_json(content_type, ok):
    headers = {"content-type": content_type} if content_type else {}
    if ok:
        require_json(request(headers))
    else:
        with pytest.raises(HttpError) as caught:
            require_json(request(headers))
        assert caught.value.status == 415


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_header_values_that_are_not_unicode_text_are_refused_not_a_crash(name):
    """A lone surrogate (what a JSON event can carry for undecodable bytes) cannot be encoded to UTF-8."""
    headers = {**VECTOR_HEADERS, name: VECTOR_HEADERS[name] + "\udcff"}
    with pytest.raises(HttpError) as caught:
        verify_signature(request(headers), VECTOR_BODY, signing_keys((VECTOR_SECRET,)), now=VECTOR_TIME)
    assert caught.value.status == 401


@pytest.mark.parametrize("number", [b"1e999", b"-1e400", b"[1E9999]"])
def test_numbers_beyond_a_double_are_malformed_json(number):
    """json.loads turns them into infinity, which json.dumps writes as Infinity: a message no worker can read."""
    with pytest.raises(HttpError) as caught:
        parse_json(b'{"data": {"id": ' + number + b"}}")
    assert (caught.value.status, caught.value.error) == (400, "malformed_json")
    assert parse_json(b'{"n": 1.5e300}') == {"n": 1.5e300}
