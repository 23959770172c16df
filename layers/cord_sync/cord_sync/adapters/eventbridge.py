"""What arrives on the EventBridge bus, classified and turned into validated canonical change events.

    Okta log streaming    source "aws.partner/okta.com/…" and detail.eventType: detail is one System Log
                          LogEvent (idp-payloads §1.6; detail-type differs between integrations, so unused)
    Auth0 Log Streams     source "aws.partner/auth0.com/…", detail-type "Auth0 log", entry in detail.data
    Auth0 Event Streams   source "aws.partner/auth0.com/…", detail a CloudEvent (detail.specversion, .type)
    other partners        any other "aws.partner/…" source: skipped, whatever its detail-type
    canonical             any other source, detail-type "user.*" or "organization.*": the canonical event
                          (detail-type = type, detail = data), validated by `model.from_eventbridge`
    anything else         skipped with a reason (an unknown source, an unknown Okta or Auth0 type)

A relevant but malformed event raises InvalidEventError. The event patterns below are the rules the
template puts on the bus; they filter on the types the adapters act on, so other events cost no invocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cord_sync.adapters import auth0, okta
from cord_sync.errors import InvalidEventError
from cord_sync.model import ChangeEvent, from_eventbridge, parse_event

OKTA_SOURCE_PREFIX: Final = "aws.partner/okta.com/"
PARTNER_SOURCE_PREFIX: Final = "aws.partner/"

CANONICAL: Final = "canonical"
OKTA_LOG: Final = "okta-log-stream"
AUTH0_LOG: Final = "auth0-log-stream"
AUTH0_EVENT_STREAM: Final = "auth0-event-stream"
UNKNOWN: Final = "unknown"

OKTA_LOG_PATTERN: Final[dict[str, Any]] = {
    "source": [{"prefix": OKTA_SOURCE_PREFIX}],
    "detail": {"eventType": list(okta.SUPPORTED_EVENT_TYPES), "outcome": {"result": ["SUCCESS"]}},
}
AUTH0_LOG_PATTERN: Final[dict[str, Any]] = {
    "source": [{"prefix": auth0.SOURCE_PREFIX}],
    "detail-type": [auth0.LOG_DETAIL_TYPE],
    "detail": {
        "data": {
            "$or": [
                {"type": [t for t in auth0.LOG_TYPES if t != auth0.MANAGEMENT_API]},
                {
                    "type": [auth0.MANAGEMENT_API],
                    "details": {"request": {"path": [{"prefix": auth0.USERS_PATH}]}},
                },
            ]
        }
    },
}
AUTH0_EVENT_STREAM_PATTERN: Final[dict[str, Any]] = {
    "source": [{"prefix": auth0.SOURCE_PREFIX}],
    "detail": {"specversion": ["1.0"], "type": list(auth0.EVENT_STREAM_TYPE_NAMES)},
}


@dataclass(frozen=True, slots=True)
class Classified:
    """An EventBridge event's kind, its provider type (no personal data) and its validated changes.

    No changes means the event is skipped, and `skip_reason` says why.
    """

    kind: str
    event_type: str
    changes: tuple[ChangeEvent, ...] = ()
    skip_reason: str | None = None


def classify(
    event: Mapping[str, Any],
    *,
    okta_mapping: okta.OktaMapping | None = None,
    auth0_mapping: auth0.Auth0Mapping | None = None,
) -> Classified:
    """Classify one EventBridge event and map it; mappings not given are read from the environment.

    Raises InvalidEventError for a relevant event that is malformed, ConfigurationError for a bad id-source
    setting.
    """
    if not isinstance(event, Mapping):
        raise InvalidEventError("an EventBridge event must be a JSON object")
    source = event.get("source") if isinstance(event.get("source"), str) else ""
    detail_type = event.get("detail-type") if isinstance(event.get("detail-type"), str) else ""
    detail = event.get("detail")

    if source.startswith(OKTA_SOURCE_PREFIX) and isinstance(detail, Mapping) and "eventType" in detail:
        event_type = str(detail["eventType"])
        if event_type not in okta.SUPPORTED_EVENT_TYPES:
            return Classified(OKTA_LOG, event_type, skip_reason="an Okta event type cord-sync does not sync")
        dicts = okta.events_from_log_event(detail, okta_mapping or okta.OktaMapping.from_env())
        return _mapped(OKTA_LOG, event_type, dicts, "an unsuccessful outcome, or nothing Cord can use")

    if source.startswith(auth0.SOURCE_PREFIX) and detail_type == auth0.LOG_DETAIL_TYPE:
        data = detail.get("data") if isinstance(detail, Mapping) else None
        event_type = str(data.get("type")) if isinstance(data, Mapping) else ""
        if isinstance(data, Mapping) and event_type not in auth0.LOG_TYPES:
            return Classified(AUTH0_LOG, event_type, skip_reason="an Auth0 log type cord-sync does not sync")
        dicts = auth0.events_from_log(detail)  # raises for a missing detail.data
        return _mapped(AUTH0_LOG, event_type, dicts, "nothing Cord can use (see the log line before)")

    if source.startswith(auth0.SOURCE_PREFIX) and isinstance(detail, Mapping) and "specversion" in detail:
        event_type = auth0.event_stream_type(detail.get("type"))
        if event_type not in auth0.EVENT_STREAM_TYPES:
            return Classified(AUTH0_EVENT_STREAM, event_type, skip_reason="an Auth0 event type cord-sync does not sync")
        dicts = auth0.events_from_cloud_event(detail, auth0_mapping or auth0.Auth0Mapping.from_env())
        return _mapped(AUTH0_EVENT_STREAM, event_type, dicts, "nothing Cord can use (see the log line before)")

    if source.startswith((OKTA_SOURCE_PREFIX, auth0.SOURCE_PREFIX)):
        return Classified(UNKNOWN, detail_type, skip_reason="an Okta or Auth0 event of a shape cord-sync does not know")
    if source.startswith(PARTNER_SOURCE_PREFIX):  # only your own producers put canonical events
        return Classified(UNKNOWN, detail_type, skip_reason="an event from a partner cord-sync does not support")
    if detail_type.startswith(("user.", "organization.")):
        return Classified(CANONICAL, detail_type, (from_eventbridge(event),))
    return Classified(UNKNOWN, detail_type, skip_reason="not a canonical event nor one from a supported provider")


def _mapped(kind: str, event_type: str, dicts: list[dict], empty_reason: str) -> Classified:
    if not dicts:
        return Classified(kind, event_type, skip_reason=empty_reason)
    return Classified(kind, event_type, tuple(parse_event(d) for d in dicts))
