"""The webhook front door (one HTTP API function): Okta Event Hooks and Standard Webhooks-signed events.

    GET  /webhooks/okta     Okta's one-time verification: {"verification": <X-Okta-Verification-Challenge>}
    POST /webhooks/okta     an Okta Event Hook delivery: its System Log events, mapped by the Okta adapter,
                            go to the sync queue; 200 with counts
    POST /webhooks/events   one canonical change event or a JSON array of up to 100, signed the Standard
                            Webhooks way; all valid -> enqueued, 202; any invalid -> 400, nothing enqueued

    OKTA_HOOK_SECRET_ARN    secret holding the Authorization value configured on the Okta hook
    WEBHOOK_SECRET_ARN      secret holding the signing key(s), whsec_<base64>, whitespace-separated to rotate
    STATE_TABLE_NAME        table remembering webhook-ids (replay protection)
    SYNC_QUEUE_URL          the sync queue
    OKTA_USER_ID_SOURCE, OKTA_GROUP_ID_SOURCE   see cord_sync.adapters.okta

Every answer is JSON; errors are {"error": <code>, "message": <reason>}. Order of checks: route and method
(404/405), size (413), authentication (401; 503 when no secret is configured: fail closed), content type
(415), JSON (400), content (400). Okta deliveries only get validated and enqueued (Okta waits 3 s); an
Okta event that is relevant but malformed is counted in OktaEventsInvalid and left out (the first
MAX_REPORTED_INVALID are logged and listed in the answer with their reasons, so a flood of junk cannot blow up
the answer or the logs), and the rest of the delivery is still enqueued and answered 200, since Okta never
retries a 4xx and retries a 5xx only once. Secrets, signatures and Authorization headers are never logged or echoed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from cord_sync.adapters.common import clip
from cord_sync.adapters.okta import OktaMapping, events_from_log_event
from cord_sync.errors import ConfigurationError, InvalidEventError
from cord_sync.model import parse_event
from cord_sync.observability import logger, metrics
from cord_sync.publish import PublishError, default_publisher
from cord_sync.secrets import SharedSecret
from cord_sync.state import table_name

OKTA_PATH: Final = "/webhooks/okta"
EVENTS_PATH: Final = "/webhooks/events"
ROUTES: Final = {OKTA_PATH: ("GET", "POST"), EVENTS_PATH: ("POST",)}
OKTA_SECRET_ENV: Final = "OKTA_HOOK_SECRET_ARN"  # noqa: S105 - the variable naming the secret's ARN
WEBHOOK_SECRET_ENV: Final = "WEBHOOK_SECRET_ARN"  # noqa: S105 - likewise
MAX_BODY_BYTES: Final = 1024 * 1024
MAX_EVENTS: Final = 100
MAX_REPORTED_INVALID: Final = 20  # invalid Okta events listed (and logged one by one) per delivery
TOLERANCE_SECONDS: Final = 5 * 60
MAX_WEBHOOK_ID: Final = 256
SIGNATURE_VERSION: Final = "v1"
SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the key format's prefix, not a key
JSON: Final = "application/json"


class HttpError(Exception):
    """A request answered with a 4xx or 5xx JSON error."""

    def __init__(self, status: int, error: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.headers = dict(headers or {})


def unauthorized(message: str) -> HttpError:
    return HttpError(401, "unauthorized", message)


def bad_request(message: str, error: str = "bad_request") -> HttpError:
    return HttpError(400, error, message)


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, JSON, json.dumps(body, separators=(",", ":")), headers=dict(headers or {}))


# --- request plumbing ------------------------------------------------------------------------------------


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header, looked up case-insensitively; what cannot be UTF-8 text becomes U+FFFD."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == wanted:
            if not isinstance(value, str):
                return None
            # A lone surrogate (an undecodable byte in the event's JSON) would crash every .encode() later.
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return None


def raw_body(event: Mapping[str, Any], limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body as sent (base64-decoded when API Gateway encoded it); 413 beyond `limit` bytes."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        if len(body) > (limit + 2) // 3 * 4 + 4:
            raise too_large(limit)
        try:
            raw = base64.b64decode(body)
        except (binascii.Error, ValueError):
            raise bad_request("the request body is not valid base64") from None
    else:
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    if len(raw) > limit:
        raise too_large(limit)
    return raw


def too_large(limit: int) -> HttpError:
    return HttpError(413, "payload_too_large", f"the request body exceeds {limit} bytes")


def require_json(event: Mapping[str, Any]) -> None:
    """415 unless the Content-Type is application/json (parameters such as charset allowed)."""
    media = (header(event, "content-type") or "").split(";", 1)[0].strip().lower()
    if media != JSON:
        given = f"not {media[:100]!r}" if media else "and it is missing"
        raise HttpError(415, "unsupported_media_type", f"Content-Type must be {JSON}, {given}")


def _reject_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 would become Infinity in the queued message: no worker reads that
        raise ValueError(f"the number {text[:40]} is beyond a double's range")
    return value


def parse_json(raw: bytes) -> Any:
    """Decode a UTF-8 JSON body (a leading BOM ignored, as RFC 8259 allows); 400 with the reason when not JSON."""
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_constant, parse_float=_finite_float)
    except UnicodeDecodeError:
        raise bad_request("the request body is not UTF-8 text", "malformed_json") from None
    except ValueError as exc:
        raise bad_request(f"the request body is not JSON: {exc}", "malformed_json") from None
    except RecursionError:
        raise bad_request("the request body is nested too deeply", "malformed_json") from None


# --- Okta Event Hooks ------------------------------------------------------------------------------------


def check_okta_authorization(event: Mapping[str, Any], secret: SharedSecret) -> None:
    """401 unless the Authorization header equals the hook's secret (constant time; 503 when unset)."""
    given = header(event, "authorization")
    if not given:
        raise unauthorized("the Authorization header is missing")
    if not secret.matches(given):
        raise unauthorized("the Authorization header does not match the hook's secret")


@dataclass
class OktaDelivery:
    """What became of one Event Hook delivery."""

    received: int
    events: list[dict] = field(default_factory=list)
    skipped: int = 0
    invalid_count: int = 0
    invalid: list[dict] = field(default_factory=list)  # the first MAX_REPORTED_INVALID of them

    def summary(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "enqueued": len(self.events),
            "skipped": self.skipped,
            "invalid_count": self.invalid_count,
            "invalid": self.invalid,
        }


def map_okta_delivery(body: Any, mapping: OktaMapping) -> OktaDelivery:
    """The canonical events of a delivery (envelope `data.events[]`); malformed events are left out."""
    data = body.get("data") if isinstance(body, dict) else None
    log_events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(log_events, list):
        raise bad_request(
            "an Okta event hook delivery must be a JSON object with a data.events list", "invalid_delivery"
        )
    delivery = OktaDelivery(received=len(log_events))
    for position, log_event in enumerate(log_events):
        try:
            mapped = events_from_log_event(log_event, mapping)
        except InvalidEventError as exc:
            delivery.invalid_count += 1
            if delivery.invalid_count > MAX_REPORTED_INVALID:  # a flood of junk: counted, not listed
                continue
            uuid = log_event.get("uuid") if isinstance(log_event, dict) else None
            uuid = uuid if isinstance(uuid, str) and len(uuid) <= MAX_WEBHOOK_ID else None
            delivery.invalid.append({"index": position, "uuid": uuid, "reason": exc.reason})
            logger.warning(
                "invalid Okta event left out", extra={"okta_uuid": uuid, "index": position, "reason": exc.reason}
            )
            continue
        if not mapped:
            delivery.skipped += 1
        delivery.events.extend(mapped)
    if delivery.invalid_count > MAX_REPORTED_INVALID:
        logger.warning(
            "more invalid Okta events left out, not listed one by one",
            extra={"invalid_count": delivery.invalid_count, "listed": MAX_REPORTED_INVALID},
        )
    return delivery


# --- Standard Webhooks ------------------------------------------------------------------------------------


def signing_keys(values: tuple[str, ...]) -> list[bytes]:
    """HMAC keys from whsec_<base64> secrets; a value that is not base64 is skipped (and logged, not shown)."""
    keys = []
    for position, value in enumerate(values):
        encoded = value[len(SECRET_PREFIX) :] if value.startswith(SECRET_PREFIX) else value
        try:
            keys.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            logger.error("a webhook signing secret value is not base64; it is ignored", extra={"position": position})
    if not keys:
        raise ConfigurationError(f"the webhook signing secret ({WEBHOOK_SECRET_ENV}) holds no base64 key")
    return keys


def sign(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    """The v1 signature (base64 HMAC-SHA256) of `{id}.{timestamp}.{body}`."""
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_list(value: str) -> list[tuple[str, str]]:
    """(version, signature) pairs of a webhook-signature header: space-separated `v1,<base64>` items.

    Two headers reach the function joined by a comma (API Gateway merges repeated headers), so an item may
    hold several comma-separated pairs; base64 has no commas, so the pairs are unambiguous.
    """
    pairs = []
    for item in value.split():
        parts = item.split(",")
        pairs.extend(
            (version, candidate)
            for version, candidate in zip(parts[::2], parts[1::2], strict=False)  # an odd last part is ignored
            if candidate
        )
    return pairs


@dataclass(frozen=True)
class SignedMessage:
    id: str
    timestamp: int


def verify_signature(
    event: Mapping[str, Any], body: bytes, keys: list[bytes], *, now: float, tolerance: int = TOLERANCE_SECONDS
) -> SignedMessage:
    """Check webhook-id, webhook-timestamp and webhook-signature over the raw body; 401 on any failure.

    Svix's own names (svix-id, svix-timestamp, svix-signature) are read when no webhook-* header is sent.
    """
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    if not any(header(event, name) for name in names):
        names = ("svix-id", "svix-timestamp", "svix-signature")
    msg_id, stamp, signatures = (header(event, name) for name in names)
    if not (msg_id and stamp and signatures):
        raise unauthorized("unsigned request: webhook-id, webhook-timestamp and webhook-signature are required")
    if len(msg_id) > MAX_WEBHOOK_ID:
        raise unauthorized(f"webhook-id is longer than {MAX_WEBHOOK_ID} characters")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        raise unauthorized("webhook-timestamp must be whole seconds since the epoch")
    timestamp = int(stamp)
    if timestamp < now - tolerance:
        raise unauthorized(f"webhook-timestamp is more than {tolerance} seconds old")
    if timestamp > now + tolerance:
        raise unauthorized(f"webhook-timestamp is more than {tolerance} seconds in the future")
    given = [candidate.encode() for version, candidate in signature_list(signatures) if version == SIGNATURE_VERSION]
    expected = [sign(key, msg_id, stamp, body).encode() for key in keys]
    matched = False
    for candidate in given:  # any v1 signature made with any current key passes
        for signature in expected:
            matched |= hmac.compare_digest(candidate, signature)
    if not matched:
        raise unauthorized("no webhook-signature matches the body")
    return SignedMessage(msg_id, timestamp)


def canonical_events(body: Any, limit: int = MAX_EVENTS) -> list[dict]:
    """One canonical event or a list of 1..limit; 400 naming the first invalid one."""
    events = body if isinstance(body, list) else [body]
    if not events:
        raise bad_request("the array holds no events", "invalid_event")
    if len(events) > limit:
        raise bad_request(f"at most {limit} events per request, got {len(events)}", "too_many_events")
    for position, event in enumerate(events):
        try:
            if not isinstance(event, dict):
                raise InvalidEventError("must be a JSON object (a canonical change event)")
            parse_event(event)
        except InvalidEventError as exc:
            event_id = event.get("id") if isinstance(event, dict) else None
            named = f"event {position}" + (f" (id {clip(event_id)})" if isinstance(event_id, str) else "")
            raise bad_request(f"{named}: {exc.reason}", "invalid_event") from None
    return events


class ReplayGuard:
    """Remembers webhook-ids in the state table (conditional put, TTL on expires_at)."""

    SORT_KEY: Final = "webhook-replay"

    def __init__(self, table: str, client: Any, *, tolerance: int = TOLERANCE_SECONDS) -> None:
        self.table, self.client, self.tolerance = table, client, tolerance

    def _key(self, msg_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"webhook#{msg_id}"}, "sk": {"S": self.SORT_KEY}}

    def claim(self, message: SignedMessage, now: float) -> None:
        """Record the id; 401 when it is already recorded (a replay), 503 when the table cannot be reached."""
        from botocore.exceptions import BotoCoreError, ClientError

        # A replay is accepted by the signature check until timestamp + tolerance; remember it a minute longer.
        expires = int(max(message.timestamp, now)) + self.tolerance + 60
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**self._key(message.id), "expires_at": {"N": str(expires)}, "received_at": {"N": str(int(now))}},
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise unauthorized("replayed request: this webhook-id has already been received") from None
            raise self._unavailable(exc) from None
        except BotoCoreError as exc:
            raise self._unavailable(exc) from None

    def release(self, message: SignedMessage) -> None:
        """Forget the id after enqueueing failed, so the sender's retry is accepted."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_item(TableName=self.table, Key=self._key(message.id))
        except (BotoCoreError, ClientError) as exc:
            logger.error(
                "could not release a webhook-id", extra={"webhook_id": message.id, "error": type(exc).__name__}
            )

    @staticmethod
    def _unavailable(exc: Exception) -> HttpError:
        logger.error("the state table cannot be reached", extra={"error": type(exc).__name__})
        return HttpError(503, "unavailable", "the webhook cannot be received right now; retry later")


# --- the front door ---------------------------------------------------------------------------------------


def enqueue(events: list[dict]) -> int:
    """Put events on the sync queue; 503 when the queue cannot take them."""
    if not events:
        return 0
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        sent = default_publisher().publish(events)
    except (PublishError, BotoCoreError, ClientError) as exc:
        logger.error("could not enqueue", extra={"events": len(events), "error": f"{type(exc).__name__}: {exc}"})
        raise HttpError(503, "unavailable", "the events could not be enqueued; retry later") from None
    metrics.add_metric(name="EventsEnqueued", unit=MetricUnit.Count, value=sent)
    return sent


class WebhookFrontDoor:
    """The routes' logic, with its clock and AWS clients replaceable for tests."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.okta_secret = SharedSecret(OKTA_SECRET_ENV)
        self.signing_secret = SharedSecret(WEBHOOK_SECRET_ENV)
        self._dynamodb: Any = None
        self._lock = threading.Lock()

    @property
    def dynamodb(self) -> Any:
        with self._lock:
            if self._dynamodb is None:
                import boto3
                from botocore.config import Config

                # Fail fast (a JSON 503) well inside the function's 5 s: botocore's defaults wait 60 s per read
                # and retry DynamoDB up to 10 times, so a slow table meant a Lambda timeout and a non-JSON 5xx.
                config = Config(connect_timeout=1, read_timeout=1, retries={"mode": "standard", "max_attempts": 2})
                self._dynamodb = boto3.client("dynamodb", config=config)
            return self._dynamodb

    def reset(self) -> None:
        """Drop cached AWS clients (tests, changed endpoints)."""
        with self._lock:
            self._dynamodb = None

    def okta_verification(self, event: Mapping[str, Any]) -> Response:
        check_okta_authorization(event, self.okta_secret)
        challenge = header(event, "x-okta-verification-challenge")
        if not challenge:
            raise bad_request("the X-Okta-Verification-Challenge header is missing", "missing_challenge")
        if len(challenge) > 1024:
            raise bad_request("the X-Okta-Verification-Challenge header is too long", "invalid_challenge")
        metrics.add_metric(name="OktaVerifications", unit=MetricUnit.Count, value=1)
        return json_response(200, {"verification": challenge})

    def okta_delivery(self, event: Mapping[str, Any]) -> Response:
        body = raw_body(event)
        check_okta_authorization(event, self.okta_secret)
        require_json(event)
        delivery = map_okta_delivery(parse_json(body), OktaMapping.from_env())
        enqueue(delivery.events)
        metrics.add_metric(name="OktaEventsReceived", unit=MetricUnit.Count, value=delivery.received)
        metrics.add_metric(name="OktaEventsSkipped", unit=MetricUnit.Count, value=delivery.skipped)
        metrics.add_metric(name="OktaEventsInvalid", unit=MetricUnit.Count, value=delivery.invalid_count)
        logger.info("Okta delivery enqueued", extra=delivery.summary())
        return json_response(200, delivery.summary())

    def signed_events(self, event: Mapping[str, Any]) -> Response:
        body = raw_body(event)
        now = self.clock()
        message = verify_signature(event, body, signing_keys(self.signing_secret.values()), now=now)
        require_json(event)
        events = canonical_events(parse_json(body))
        guard = ReplayGuard(table_name(), self.dynamodb)
        guard.claim(message, now)
        try:
            enqueue(events)
        except BaseException:  # whatever stopped the events, the sender's retry must not count as a replay
            guard.release(message)
            raise
        logger.info("signed events enqueued", extra={"webhook_id": message.id, "events": len(events)})
        return json_response(202, {"accepted": len(events), "webhook_id": message.id})


door = WebhookFrontDoor()
# debug=False even when POWERTOOLS_DEV is set: debug mode prints every event, Authorization header included.
app = APIGatewayHttpResolver(debug=False)


@app.get(OKTA_PATH)
def _okta_get() -> Response:
    return door.okta_verification(app.current_event.raw_event)


@app.post(OKTA_PATH)
def _okta_post() -> Response:
    return door.okta_delivery(app.current_event.raw_event)


@app.post(EVENTS_PATH)
def _events_post() -> Response:
    return door.signed_events(app.current_event.raw_event)


@app.not_found
def _not_found(_exc: Exception) -> Response:
    method, path = app.current_event.http_method.upper(), app.current_event.path
    allowed = ROUTES.get(path)
    if allowed:
        raise HttpError(
            405, "method_not_allowed", f"{path} accepts {', '.join(allowed)}", {"Allow": ", ".join(allowed)}
        )
    raise HttpError(404, "not_found", f"no route for {method} {path[:200]}")


@app.exception_handler(HttpError)
def _http_error(exc: HttpError) -> Response:
    failed = exc.status >= 500
    metrics.add_metric(
        name="WebhookRequestsFailed" if failed else "WebhookRequestsRejected", unit=MetricUnit.Count, value=1
    )
    if not failed:
        logger.warning(
            "webhook request rejected", extra={"status": exc.status, "error": exc.error, "reason": exc.message}
        )
    return json_response(exc.status, {"error": exc.error, "message": exc.message}, exc.headers)


@app.exception_handler(ConfigurationError)
def _not_configured(exc: ConfigurationError) -> Response:
    logger.error("webhook front door not configured: every request is refused", extra={"reason": str(exc)})
    metrics.add_metric(name="WebhookRequestsFailed", unit=MetricUnit.Count, value=1)
    return json_response(503, {"error": "not_configured", "message": "this webhook is not configured"})


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    logger.exception("unexpected error in the webhook front door")
    metrics.add_metric(name="WebhookRequestsFailed", unit=MetricUnit.Count, value=1)
    return json_response(500, {"error": "internal_error", "message": "an unexpected error occurred"})


def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Resolve one API Gateway HTTP API (payload 2.0) request."""
    return app.resolve(dict(event), context)
