"""The canonical change event: schema, parsing, EventBridge mapping."""

import json
from pathlib import Path

import fastjsonschema
import pytest

from cord_sync.errors import InvalidEventError
from cord_sync.model import EVENT_TYPES, from_eventbridge, load_schema, parse_event, parse_message_body

EVENTS = Path(__file__).resolve().parents[2] / "events"


def event(type_="user.upsert", **data):
    data.setdefault("id", "u-1")
    if type_ == "user.upsert":
        data.setdefault("email", "u1@example.com")
    return {"type": type_, "id": "evt-1", "time": "2026-12-03T10:00:00Z", "source": "test", "data": data}


def test_schema_is_a_valid_draft7_schema_listing_every_type():
    schema = load_schema()
    fastjsonschema.compile(schema)  # raises on an invalid schema
    assert tuple(schema["properties"]["type"]["enum"]) == EVENT_TYPES


def test_user_upsert_parses_with_aware_time_and_string_ids():
    parsed = parse_event(event(id=42, name="Ada", profile_picture_url="https://example.com/a.png"))
    assert parsed.type == "user.upsert"
    assert parsed.entity_id == "42"  # Cord stringifies numeric ids
    assert parsed.time.tzinfo is not None
    assert parsed.data["name"] == "Ada"


def test_membership_ids_are_normalized_and_deduplicated():
    parsed = parse_event(event("organization.members.add", id="org", users=["a", 7, "a", 7.0]))
    assert parsed.data["users"] == ["a", "7"]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e.pop("time"), "must contain"),
        (lambda e: e.update(type="user.delete"), "event.type must be one of"),
        (lambda e: e.update(time="yesterday"), "event.time must be date-time"),
        (lambda e: e.update(time="2026-12-03T10:00:00"), "event.time must be date-time"),  # no offset
        (lambda e: e["data"].pop("email"), "must contain ['email']"),
        (lambda e: e["data"].update(email="not-an-email"), "not a valid email address"),
        (lambda e: e["data"].update(id=""), "must be a Cord id"),
        (lambda e: e["data"].update(id="x" * 129), "must be a Cord id"),
        (lambda e: e["data"].update(id=True), "must be a Cord id"),
        (lambda e: e["data"].update(status="suspended"), "event.data.status must be one of"),
        (lambda e: e["data"].update(metadata={"a": 1}), "must not contain"),
        (lambda e: e["data"].update(profile_picture_url="no scheme"), "must be uri"),
        (lambda e: e.update(extra=1), "must not contain"),
    ],
)
def test_invalid_user_upserts_are_rejected_with_a_reason(mutate, reason):
    bad = event()
    mutate(bad)
    with pytest.raises(InvalidEventError) as info:
        parse_event(bad)
    assert reason in info.value.reason


@pytest.mark.parametrize(
    "bad",
    [
        event("organization.upsert", id="o"),  # name is required
        event("organization.upsert", id="o", name="O", members="u1"),
        event("organization.members.add", id="o", users=[]),
        event("organization.members.remove", id="o"),
        event("user.deactivate", id="u", email="x@example.com"),
    ],
)
def test_invalid_organization_and_membership_events(bad):
    with pytest.raises(InvalidEventError):
        parse_event(bad)


@pytest.mark.parametrize(
    "body", ["", "not json", "[1, 2]", '"a string"', b"\xff\xfe", json.dumps(event(id=float("nan")))]
)
def test_message_bodies_that_are_not_a_json_object(body):
    with pytest.raises(InvalidEventError) as info:
        parse_message_body(body)
    assert "JSON" in info.value.reason


def test_a_pathologically_nested_body_is_an_invalid_event_not_a_crash():
    with pytest.raises(InvalidEventError, match="nested too deeply"):
        parse_message_body("[" * 100_000 + "]" * 100_000)


def test_eventbridge_envelope_maps_onto_the_canonical_event():
    envelope = json.loads((EVENTS / "eventbridge_user_upsert.json").read_text())
    parsed = from_eventbridge(envelope)
    assert (parsed.type, parsed.id, parsed.source) == ("user.upsert", envelope["id"], envelope["source"])
    assert parsed.data["email"] == envelope["detail"]["email"]


def test_eventbridge_event_without_detail_is_invalid():
    with pytest.raises(InvalidEventError, match="lacks detail"):
        from_eventbridge({"id": "1", "time": "2026-12-03T10:00:00Z", "detail-type": "user.upsert"})


def test_every_event_fixture_is_a_canonical_event_or_the_documented_malformed_one():
    scenario = json.loads((EVENTS / "sqs_scenario.json").read_text())
    outcomes = []
    for record in scenario["Records"]:
        try:
            parse_message_body(record["body"])
            outcomes.append("ok")
        except InvalidEventError as exc:
            outcomes.append(exc.reason)
    assert outcomes.count("ok") == len(outcomes) - 2  # one truncated body, one bad email
    for path in EVENTS.glob("eventbridge_*.json"):
        from_eventbridge(json.loads(path.read_text()))


@pytest.mark.parametrize(
    ("value", "usable"),
    [
        ("ada@example.com", True),
        ("ada", False),
        ("", False),
        (None, False),
        (42, False),
        ("a" * 310 + "@example.com", False),  # over the schema's 320 characters
    ],
)
def test_usable_email_is_the_schemas_email_rule(value, usable):
    from cord_sync.model import usable_email

    assert usable_email(value) == (value if usable else None)
