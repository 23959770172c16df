"""Auth0 Log Streams and Event Streams to canonical change events, from the realistic samples in events/."""

import copy
import json

import pytest

from cord_sync.adapters.auth0 import Auth0Mapping, events_from_cloud_event, events_from_log
from cord_sync.errors import ConfigurationError, InvalidEventError
from cord_sync.model import parse_event
from lambda_runtime import ROOT

ADA = "auth0|6560a1f3c2b7e5d4a9f01234"
GRACE = "auth0|6560b7d2e4f1a3c5b8d90567"
MARY = "auth0|6560c9e1f3a5b7d2c4e80912"
ORG = "org_W4bL9hQx2fT7kJ3m"
BY_ID = Auth0Mapping()


def detail(name):
    """The EventBridge `detail` of a sample delivery (a fresh copy the test may change)."""
    return copy.deepcopy(json.loads((ROOT / "events" / name).read_text())["detail"])


def summary(events):
    for event in events:
        parse_event(event)  # every event the adapter returns is a valid canonical event
    return [(e["type"], e["id"], e["data"]) for e in events]


# -- Log Streams ----------------------------------------------------------------------------------------
def test_a_signup_upserts_the_user_keyed_by_auth0_user_id_with_log_id_and_date():
    [event] = events_from_log(detail("auth0_log_signup.json"))
    assert event == {
        "type": "user.upsert",
        "id": "90020261203090001234567000000000000001223372041234567890",
        "time": "2026-12-03T09:00:01.234Z",
        "source": "auth0",
        "data": {"id": ADA, "email": "ada@example.com", "name": "Ada Lovelace", "short_name": "Ada"},
    }


def test_a_signup_without_an_email_in_the_body_takes_the_user_name_and_skips_when_there_is_none():
    log = detail("auth0_log_signup.json")
    del log["data"]["details"]["body"]["email"]
    assert events_from_log(log)[0]["data"]["email"] == "ada@example.com"  # from user_name
    log["data"]["user_name"] = "+4930123456"  # a phone connection: no email anywhere
    assert events_from_log(log) == []


def test_management_api_user_create_update_and_delete():
    assert summary(events_from_log(detail("auth0_log_api_create_user.json"))) == [
        (
            "user.upsert",
            "90020261203091000530000000000000000001223372041234570001",
            {
                "id": GRACE,  # from the response body, not data.user_id (the administrator)
                "email": "grace@example.com",
                "name": "Grace Hopper",
                "short_name": "Grace",
                "profile_picture_url": "https://s.gravatar.com/avatar/3b3be4f9e8c4a1d2?s=480&r=pg"
                "&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fgh.png",
            },
        )
    ]
    [update] = events_from_log(detail("auth0_log_api_update_user.json"))
    assert update["data"]["id"] == GRACE  # URL-decoded from /api/v2/users/auth0%7C...
    assert update["data"]["name"] == "Rear Admiral Grace Hopper"
    assert summary(events_from_log(detail("auth0_log_api_delete_user.json"))) == [
        ("user.deactivate", "90020261203093000250000000000000000001223372041234570003", {"id": GRACE})
    ]


def test_management_api_block_and_unblock_become_the_user_status():
    log = detail("auth0_log_api_update_user.json")
    log["data"]["details"]["request"]["body"] = {"blocked": True}
    log["data"]["details"]["response"]["body"]["blocked"] = True
    assert events_from_log(log)[0]["data"]["status"] == "deleted"
    log["data"]["details"]["response"]["body"] = {}  # no user in the response: no email to upsert with
    assert summary(events_from_log(log)) == [("user.deactivate", log["log_id"], {"id": GRACE})]
    log["data"]["details"]["request"]["body"] = {"blocked": False}
    log["data"]["details"]["response"]["body"] = {"user_id": GRACE, "email": "grace@example.com", "blocked": False}
    assert events_from_log(log)[0]["data"] == {"id": GRACE, "email": "grace@example.com", "status": "active"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("patch", "/api/v2/clients/Xq3kT9vLm2Rb7WcN4pHs8JdF1gYz6AeU", 200),  # not a user
        ("post", "/api/v2/users/auth0%7C6560b7d2e4f1a3c5b8d90567/roles", 204),  # a user's roles
        ("post", "/api/v2/users", 409),  # the user already existed: not a success
        ("put", "/api/v2/users/auth0%7C6560b7d2e4f1a3c5b8d90567", 200),
    ],
)
def test_other_management_api_calls_and_failed_ones_are_skipped(method, path, status):
    log = detail("auth0_log_api_create_user.json")
    log["data"]["details"]["request"].update(method=method, path=path)
    log["data"]["details"]["response"]["statusCode"] = status
    assert events_from_log(log) == []


def test_method_case_and_a_query_string_do_not_matter():
    log = detail("auth0_log_api_delete_user.json")
    log["data"]["details"]["request"].update(method="DELETE", path="/api/v2/users/auth0%7C6560b7d2e4f1a3c5b8d90567?x=1")
    assert events_from_log(log)[0]["data"] == {"id": GRACE}


def test_deleted_user_and_email_change():
    assert summary(events_from_log(detail("auth0_log_deleted_user.json"))) == [
        ("user.deactivate", "90020261203094000700000000000000000001223372041234570005", {"id": ADA})
    ]
    assert events_from_log(detail("auth0_log_email_changed.json"))[0]["data"] == {
        "id": ADA,
        "email": "ada.lovelace@example.com",
    }


def test_log_types_cord_sync_does_not_sync_map_to_nothing():
    assert events_from_log(detail("auth0_log_login.json")) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.pop("data"), "detail.data"),
        (lambda d: d.update(data="ss"), "detail.data"),
        (lambda d: (d.pop("log_id"), d["data"].pop("log_id")), "has no id"),
        (lambda d: d["data"].pop("date"), "no ISO 8601 time"),
        (lambda d: d["data"].update(date="yesterday"), "no ISO 8601 time"),
        (lambda d: d["data"].pop("user_id"), "no user_id"),
    ],
)
def test_a_malformed_relevant_log_entry_is_invalid(change, reason):
    log = detail("auth0_log_signup.json")
    change(log)
    with pytest.raises(InvalidEventError, match=reason):
        events_from_log(log)


def test_a_management_api_create_without_user_id_or_request_is_invalid():
    log = detail("auth0_log_api_create_user.json")
    del log["data"]["details"]["response"]["body"]["user_id"]
    with pytest.raises(InvalidEventError, match="no user_id"):
        events_from_log(log)
    del log["data"]["details"]["request"]
    with pytest.raises(InvalidEventError, match=r"details\.request"):
        events_from_log(log)


# -- Event Streams --------------------------------------------------------------------------------------
def test_user_created_and_deleted():
    assert summary(events_from_cloud_event(detail("auth0_event_user_created.json"), BY_ID)) == [
        (
            "user.upsert",
            "evt_6SfwXrtm8nVcjzzNCFFH1L",
            {
                "id": MARY,
                "email": "mary@example.com",
                "name": "Mary Somerville",
                "short_name": "Mary",
                "profile_picture_url": "https://s.gravatar.com/avatar/9d2c?s=480&r=pg",
            },
        )
    ]
    [deleted] = events_from_cloud_event(detail("auth0_event_user_deleted.json"), BY_ID)
    assert (deleted["type"], deleted["time"], deleted["data"]) == (
        "user.deactivate",
        "2026-12-03T10:30:00.100Z",
        {"id": MARY},
    )


def test_user_updated_without_an_email_is_skipped_and_a_bad_picture_left_out():
    cloud_event = detail("auth0_event_user_created.json")
    cloud_event["type"] = "user.updated"
    cloud_event["data"]["object"]["picture"] = "not a url"
    assert "profile_picture_url" not in events_from_cloud_event(cloud_event, BY_ID)[0]["data"]
    del cloud_event["data"]["object"]["email"]
    assert events_from_cloud_event(cloud_event, BY_ID) == []


def test_organizations_by_id_or_by_name():
    cloud_event = detail("auth0_event_organization_created.json")
    assert summary(events_from_cloud_event(cloud_event, BY_ID)) == [
        ("organization.upsert", "evt_7TgxYsun9oWdkaaODGGI2M", {"id": ORG, "name": "Analytical Engines"})
    ]
    by_name = Auth0Mapping(organization_id_source="name")
    assert events_from_cloud_event(cloud_event, by_name)[0]["data"]["id"] == "analytical-engines"
    del cloud_event["data"]["object"]["display_name"]
    assert events_from_cloud_event(cloud_event, BY_ID)[0]["data"]["name"] == "analytical-engines"
    cloud_event["type"] = "organization.deleted"
    assert summary(events_from_cloud_event(cloud_event, BY_ID)) == [
        ("organization.deactivate", "evt_7TgxYsun9oWdkaaODGGI2M", {"id": ORG})
    ]


def test_member_added_and_deleted():
    added = detail("auth0_event_member_added.json")
    assert summary(events_from_cloud_event(added, BY_ID)) == [
        ("organization.members.add", "evt_9ViaAuwp1qYfmccQFIIK4P", {"id": ORG, "users": [MARY]})
    ]
    assert events_from_cloud_event(added, Auth0Mapping("name"))[0]["data"]["id"] == "analytical-engines"
    assert summary(events_from_cloud_event(detail("auth0_event_member_deleted.json"), BY_ID)) == [
        ("organization.members.remove", "evt_2WjbBvxq2rZgnddRGJJL5Q", {"id": ORG, "users": [MARY]})
    ]


def test_member_added_with_the_users_email_upserts_the_user_first():
    added = detail("auth0_event_member_added.json")
    added["data"]["object"]["user"].update(email="mary@example.com", name="Mary Somerville")
    assert summary(events_from_cloud_event(added, BY_ID)) == [
        (
            "user.upsert",
            "evt_9ViaAuwp1qYfmccQFIIK4P#user",
            {"id": MARY, "email": "mary@example.com", "name": "Mary Somerville"},
        ),
        ("organization.members.add", "evt_9ViaAuwp1qYfmccQFIIK4P", {"id": ORG, "users": [MARY]}),
    ]


def test_test_deliveries_and_other_types_map_to_nothing():
    cloud_event = detail("auth0_event_user_created.json")
    cloud_event["a0purpose"] = "test"
    assert events_from_cloud_event(cloud_event, BY_ID) == []
    cloud_event = detail("auth0_event_member_added.json")
    cloud_event["type"] = "organization.member.role.assigned"
    assert events_from_cloud_event(cloud_event, BY_ID) == []


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        ("auth0_event_user_created.json", lambda c: c.pop("id"), "has no id"),
        ("auth0_event_user_created.json", lambda c: c.update(time=12), "no ISO 8601 time"),
        ("auth0_event_user_created.json", lambda c: c.update(data={}), r"data\.object"),
        ("auth0_event_user_deleted.json", lambda c: c["data"]["object"].pop("user_id"), "without a user_id"),
        ("auth0_event_organization_created.json", lambda c: c["data"]["object"].pop("id"), "without an id"),
        (
            "auth0_event_organization_created.json",
            lambda c: (c["data"]["object"].pop("name"), c["data"]["object"].pop("display_name")),
            "without a name",
        ),
        ("auth0_event_member_added.json", lambda c: c["data"]["object"].pop("organization"), "without an id"),
        ("auth0_event_member_added.json", lambda c: c["data"]["object"]["user"].clear(), "without a user_id"),
    ],
)
def test_a_malformed_relevant_cloud_event_is_invalid(name, change, reason):
    cloud_event = detail(name)
    change(cloud_event)
    with pytest.raises(InvalidEventError, match=reason):
        events_from_cloud_event(cloud_event, BY_ID)
    with pytest.raises(InvalidEventError, match="CloudEvent"):
        events_from_cloud_event(["not", "an", "object"], BY_ID)


def test_the_organization_id_source_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("AUTH0_ORGANIZATION_ID_SOURCE", raising=False)
    assert Auth0Mapping.from_env().organization_id_source == "id"
    monkeypatch.setenv("AUTH0_ORGANIZATION_ID_SOURCE", " Name ")
    assert Auth0Mapping.from_env().organization_id_source == "name"
    monkeypatch.setenv("AUTH0_ORGANIZATION_ID_SOURCE", "display_name")
    with pytest.raises(ConfigurationError, match="AUTH0_ORGANIZATION_ID_SOURCE must be one of id, name"):
        Auth0Mapping.from_env()
