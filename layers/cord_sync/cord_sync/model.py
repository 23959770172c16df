"""The canonical change event (version 1): parsing and validation.

The JSON Schema in `schemas/change-event.v1.json` is the contract; this module validates against it (with
fastjsonschema, compiled once per container on first use) and turns a valid event into a `ChangeEvent`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Final

from cord_sync.errors import InvalidEventError

SCHEMA_RESOURCE: Final = "change-event.v1.json"

USER_UPSERT: Final = "user.upsert"
USER_DEACTIVATE: Final = "user.deactivate"
ORG_UPSERT: Final = "organization.upsert"
ORG_DEACTIVATE: Final = "organization.deactivate"
MEMBERS_ADD: Final = "organization.members.add"
MEMBERS_REMOVE: Final = "organization.members.remove"
EVENT_TYPES: Final = (USER_UPSERT, USER_DEACTIVATE, ORG_UPSERT, ORG_DEACTIVATE, MEMBERS_ADD, MEMBERS_REMOVE)
USER_EVENTS: Final = frozenset({USER_UPSERT, USER_DEACTIVATE})


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A validated canonical event. `data` ids are normalized to strings (Cord stringifies numbers)."""

    type: str
    id: str
    time: datetime
    source: str
    data: Mapping[str, Any]

    @property
    def entity_id(self) -> str:
        """The user id for user.* events, the organization id for organization.* events."""
        return self.data["id"]

    @property
    def is_user_event(self) -> bool:
        return self.type in USER_EVENTS


def load_schema() -> dict[str, Any]:
    """The published JSON Schema of the canonical event."""
    return json.loads(resources.files("cord_sync.schemas").joinpath(SCHEMA_RESOURCE).read_text("utf-8"))


@cache
def _validator():
    import fastjsonschema  # compiled lazily: the first event pays ~30 ms, imports of handlers do not

    return fastjsonschema.compile(load_schema()), fastjsonschema.JsonSchemaValueException


@cache
def _email_validator():
    import fastjsonschema

    email = load_schema()["definitions"]["userUpsert"]["properties"]["email"]
    return fastjsonschema.compile(email), fastjsonschema.JsonSchemaValueException


def usable_email(value: Any) -> str | None:
    """`value` when the canonical schema accepts it as a user's email address, else None."""
    if not isinstance(value, str) or not value:
        return None
    validate, value_error = _email_validator()
    try:
        validate(value)
    except value_error:
        return None
    return value


def cord_id(value: str | int | float) -> str:
    """Render an id the way Cord stores it: numbers are stringified as JavaScript would."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _describe(exc: Any) -> str:
    where = exc.name.replace("data", "event", 1)
    if exc.rule == "anyOf":
        return f"{where} must be a Cord id: a string of 1 to 128 characters or a number"
    if exc.rule == "format" and exc.name.endswith("email"):
        return f"{where} is not a valid email address"
    return exc.message.replace("data", "event", 1)


def parse_event(obj: Any) -> ChangeEvent:
    """Validate a decoded canonical event; raises InvalidEventError with a readable reason."""
    validate, value_error = _validator()
    try:
        validate(obj)
    except value_error as exc:
        raise InvalidEventError(_describe(exc)) from None
    try:
        time = datetime.fromisoformat(obj["time"].replace("z", "Z"))
    except ValueError:
        raise InvalidEventError(f"event.time {obj['time']!r} is not an RFC 3339 time") from None
    if time.tzinfo is None:  # pragma: no cover - the schema's date-time format requires an offset
        raise InvalidEventError("event.time must carry a UTC offset")
    data = dict(obj["data"])
    data["id"] = cord_id(data["id"])
    for key in ("members", "users"):
        if key in data:
            data[key] = list(dict.fromkeys(cord_id(v) for v in data[key]))  # dedupe, keep order
    return ChangeEvent(type=obj["type"], id=obj["id"], time=time, source=obj["source"], data=data)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def parse_message_body(body: str | bytes) -> ChangeEvent:
    """Parse an SQS message body holding one canonical event."""
    try:
        obj = json.loads(body, parse_constant=_not_json)
    except (TypeError, ValueError) as exc:
        raise InvalidEventError(f"message body is not JSON ({exc})") from None
    except RecursionError:  # a pathologically nested body must not take its batch down with it
        raise InvalidEventError("message body is nested too deeply to be a change event") from None
    if not isinstance(obj, dict):
        raise InvalidEventError("message body must be a JSON object (a canonical change event)")
    return parse_event(obj)


def from_eventbridge(event: Mapping[str, Any]) -> ChangeEvent:
    """Map an EventBridge event (detail-type = type, detail = data) onto the canonical event."""
    if not isinstance(event, Mapping):
        raise InvalidEventError("an EventBridge event must be a JSON object")
    missing = [k for k in ("id", "time", "detail-type", "detail") if k not in event]
    if missing:
        raise InvalidEventError(f"EventBridge event lacks {', '.join(missing)}")
    return parse_event(
        {
            "type": event["detail-type"],
            "id": event["id"],
            "time": event["time"],
            "source": event.get("source", "eventbridge"),
            "data": event["detail"],
        }
    )
