"""The Okta adapter: System Log events (as Event Hooks and log streams deliver them) to canonical events."""

import copy
import json
from pathlib import Path

import pytest

from cord_sync.adapters.common import normalize_time
from cord_sync.adapters.okta import SUPPORTED_EVENT_TYPES, OktaMapping, events_from_log_event
from cord_sync.errors import ConfigurationError, InvalidEventError
from cord_sync.model import parse_event

EVENTS = Path(__file__).resolve().parents[2] / "events"
DELIVERY = json.loads((EVENTS / "okta_hook_delivery.json").read_text())
CREATE, ACTIVATE, MEMBERSHIP_ADD, FAILED_DEACTIVATE, SESSION_START = DELIVERY["data"]["events"]
ADA = CREATE["target"][0]
ENGINEERING = MEMBERSHIP_ADD["target"][1]
DEFAULT = OktaMapping()


def log_event(event_type, *targets, uuid="1f2e3d4c-b1d2-11f0-9a3c-000000000001", published="2026-12-03T10:15:30.250Z"):
    """A System Log event shaped like the fixture's, with another type and targets."""
    event = copy.deepcopy(CREATE)
    event.update(eventType=event_type, uuid=uuid, published=published, target=[copy.deepcopy(t) for t in targets])
    return event


def test_delivery_maps_event_by_event():
    mapped = [events_from_log_event(e, DEFAULT) for e in DELIVERY["data"]["events"]]
    assert mapped[0] == [
        {
            "type": "user.upsert",
            "id": "7c8f4a5e-b1d2-11f0-9a3c-5f1e2d3c4b5a",
            "time": "2026-12-03T09:00:00.120Z",
            "source": "okta",
            "data": {"id": "00u1ada0LoVeLaCe4x7", "email": "ada@example.com", "name": "Ada Lovelace"},
        }
    ]
    assert mapped[1][0]["data"] == {
        "id": "00u1ada0LoVeLaCe4x7",
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "status": "active",
    }
    uuid = MEMBERSHIP_ADD["uuid"]
    assert [(e["type"], e["id"], e["data"]) for e in mapped[2]] == [
        ("organization.upsert", f"{uuid}#organization", {"id": "00g1eng1nEeRiNg4x7", "name": "Engineering"}),
        (
            "user.upsert",
            f"{uuid}#user",
            {"id": "00u1ada0LoVeLaCe4x7", "email": "ada@example.com", "name": "Ada Lovelace"},
        ),
        ("organization.members.add", uuid, {"id": "00g1eng1nEeRiNg4x7", "users": ["00u1ada0LoVeLaCe4x7"]}),
    ]
    assert {e["time"] for e in mapped[2]} == {"2026-12-03T09:00:01.015Z"}
    assert mapped[3] == []  # outcome FAILURE
    assert mapped[4] == []  # user.session.start is not a change cord-sync acts on
    for events in mapped:
        for event in events:
            parse_event(event)


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("user.lifecycle.deactivate", "user.deactivate"),
        ("user.lifecycle.suspend", "user.deactivate"),
        ("user.lifecycle.delete.initiated", "user.deactivate"),
    ],
)
def test_leavers_are_deactivated(event_type, expected):
    [event] = events_from_log_event(log_event(event_type, ADA), DEFAULT)
    assert (event["type"], event["data"]) == (expected, {"id": "00u1ada0LoVeLaCe4x7"})


def test_unsuspend_reactivates_and_profile_update_carries_current_login():
    renamed = dict(ADA, alternateId="ada.king@example.com", displayName="Ada King")
    [unsuspend] = events_from_log_event(log_event("user.lifecycle.unsuspend", ADA), DEFAULT)
    assert unsuspend["data"]["status"] == "active"
    profile = log_event("user.account.update_profile", renamed)
    profile["debugContext"]["debugData"]["changedAttributes"] = "login,email,lastName"
    [event] = events_from_log_event(profile, DEFAULT)
    assert event["type"] == "user.upsert"
    assert event["data"] == {"id": "00u1ada0LoVeLaCe4x7", "email": "ada.king@example.com", "name": "Ada King"}


def test_group_lifecycle_and_profile():
    [created] = events_from_log_event(log_event("group.lifecycle.create", ENGINEERING), DEFAULT)
    assert (created["type"], created["data"]) == (
        "organization.upsert",
        {"id": "00g1eng1nEeRiNg4x7", "name": "Engineering"},
    )
    renamed = dict(ENGINEERING, displayName="Platform Engineering")
    [updated] = events_from_log_event(log_event("group.profile.update", renamed), DEFAULT)
    assert updated["data"] == {"id": "00g1eng1nEeRiNg4x7", "name": "Platform Engineering"}
    [deleted] = events_from_log_event(log_event("group.lifecycle.delete", ENGINEERING), DEFAULT)
    assert (deleted["type"], deleted["data"]) == ("organization.deactivate", {"id": "00g1eng1nEeRiNg4x7"})


def test_membership_remove_makes_sure_the_organization_exists():
    uuid = "1f2e3d4c-b1d2-11f0-9a3c-000000000009"
    events = events_from_log_event(log_event("group.user_membership.remove", ADA, ENGINEERING, uuid=uuid), DEFAULT)
    assert [(e["type"], e["id"]) for e in events] == [
        ("organization.upsert", f"{uuid}#organization"),
        ("organization.members.remove", uuid),
    ]
    assert events[1]["data"] == {"id": "00g1eng1nEeRiNg4x7", "users": ["00u1ada0LoVeLaCe4x7"]}


def test_one_password_sample_shape_target_order_does_not_matter():
    # The 1Password sample delivery lists the group before or after the user; the "unknown" alternateId
    # of a group is ignored.
    events = events_from_log_event(log_event("group.user_membership.add", ENGINEERING, ADA), DEFAULT)
    assert events[-1]["data"] == {"id": "00g1eng1nEeRiNg4x7", "users": ["00u1ada0LoVeLaCe4x7"]}


def test_login_and_name_id_sources():
    mapping = OktaMapping(user_id_source="login", group_id_source="name")
    events = events_from_log_event(MEMBERSHIP_ADD, mapping)
    assert events[0]["data"] == {"id": "Engineering", "name": "Engineering"}
    assert events[1]["data"]["id"] == "ada@example.com"
    assert events[2]["data"] == {"id": "Engineering", "users": ["ada@example.com"]}
    [deactivate] = events_from_log_event(log_event("user.lifecycle.deactivate", ADA), mapping)
    assert deactivate["data"] == {"id": "ada@example.com"}


def test_login_that_is_not_an_email_leaves_the_upsert_out():
    bare = dict(ADA, alternateId="ada")
    assert events_from_log_event(log_event("user.lifecycle.create", bare), DEFAULT) == []
    assert events_from_log_event(log_event("user.lifecycle.activate", bare), DEFAULT) == []
    events = events_from_log_event(log_event("group.user_membership.add", bare, ENGINEERING), DEFAULT)
    assert [e["type"] for e in events] == ["organization.upsert", "organization.members.add"]
    [deactivate] = events_from_log_event(log_event("user.lifecycle.deactivate", bare), DEFAULT)
    assert deactivate["data"] == {"id": "00u1ada0LoVeLaCe4x7"}


def test_display_name_is_optional_for_users():
    [event] = events_from_log_event(log_event("user.lifecycle.create", dict(ADA, displayName=None)), DEFAULT)
    assert event["data"] == {"id": "00u1ada0LoVeLaCe4x7", "email": "ada@example.com"}


@pytest.mark.parametrize(
    ("published", "normalized"),
    [
        ("2026-12-03T09:00:00.120Z", "2026-12-03T09:00:00.120Z"),
        ("2026-12-03T10:00:00.120+01:00", "2026-12-03T09:00:00.120Z"),
        ("2026-12-03T09:00:00Z", "2026-12-03T09:00:00.000Z"),
        ("2026-12-03T09:00:00.123456", "2026-12-03T09:00:00.123Z"),
    ],
)
def test_published_is_normalized_to_rfc3339_utc(published, normalized):
    assert normalize_time(published) == normalized
    [event] = events_from_log_event(log_event("user.lifecycle.create", ADA, published=published), DEFAULT)
    assert event["time"] == normalized


@pytest.mark.parametrize("result", ["FAILURE", "SKIPPED", "DENY", "UNKNOWN", None])
def test_outcomes_other_than_success_are_skipped(result):
    event = log_event("user.lifecycle.deactivate", ADA)
    event["outcome"] = {"result": result, "reason": "policy"}
    assert events_from_log_event(event, DEFAULT) == []
    del event["outcome"]
    assert events_from_log_event(event, DEFAULT) == []


def test_unknown_and_irrelevant_types_are_skipped_even_when_malformed():
    assert events_from_log_event({"eventType": "user.session.start"}, DEFAULT) == []
    assert events_from_log_event({"eventType": "application.user_membership.add", "target": None}, DEFAULT) == []
    assert events_from_log_event({}, DEFAULT) == []
    assert "group.profile.update" in SUPPORTED_EVENT_TYPES


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"uuid": None}, "has no uuid"),
        ({"published": "yesterday"}, "published 'yesterday' is not an ISO 8601 time"),
        ({"published": None}, "is not an ISO 8601 time"),
        # valid ISO 8601, but out of range once converted to UTC (datetime raises OverflowError, not ValueError)
        ({"published": "0001-01-01T00:00:00+01:00"}, "is not an ISO 8601 time"),
        ({"published": "9999-12-31T23:59:59-01:00"}, "is not an ISO 8601 time"),
        ({"target": None}, "has no target list"),
        ({"target": []}, "has no User target"),
        ({"target": [dict(ADA, id=None)]}, "has a User target without an id"),
        ({"target": [dict(ADA, id="x" * 200)]}, "maps to an invalid user.upsert: event.data.id must be a Cord id"),
    ],
)
def test_malformed_relevant_events_raise_with_a_reason(change, reason):
    event = log_event("user.lifecycle.create", ADA)
    event.update(change)
    with pytest.raises(InvalidEventError) as caught:
        events_from_log_event(event, DEFAULT)
    assert reason in caught.value.reason
    if change.get("uuid", 1) is not None:
        assert event["uuid"] in caught.value.reason


def test_membership_without_group_or_group_name():
    with pytest.raises(InvalidEventError, match="has no UserGroup target"):
        events_from_log_event(log_event("group.user_membership.add", ADA), DEFAULT)
    nameless = dict(ENGINEERING, displayName="")
    with pytest.raises(InvalidEventError, match="without a displayName"):
        events_from_log_event(log_event("group.user_membership.add", ADA, nameless), DEFAULT)
    with pytest.raises(InvalidEventError, match="UserGroup target without a displayName"):
        events_from_log_event(log_event("group.lifecycle.delete", nameless), OktaMapping(group_id_source="name"))


def test_not_an_object():
    with pytest.raises(InvalidEventError, match="must be a JSON object"):
        events_from_log_event(["user.lifecycle.create"], DEFAULT)


def test_mapping_from_env(monkeypatch):
    monkeypatch.delenv("OKTA_USER_ID_SOURCE", raising=False)
    monkeypatch.delenv("OKTA_GROUP_ID_SOURCE", raising=False)
    assert OktaMapping.from_env() == OktaMapping("id", "id")
    monkeypatch.setenv("OKTA_USER_ID_SOURCE", " Login ")
    monkeypatch.setenv("OKTA_GROUP_ID_SOURCE", "NAME")
    assert OktaMapping.from_env() == OktaMapping("login", "name")
    monkeypatch.setenv("OKTA_USER_ID_SOURCE", "email")
    with pytest.raises(ConfigurationError, match="OKTA_USER_ID_SOURCE must be one of id, login"):
        OktaMapping.from_env()
    with pytest.raises(ConfigurationError, match="OKTA_GROUP_ID_SOURCE"):
        OktaMapping(group_id_source="externalId")
