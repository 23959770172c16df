"""functions/sync_events with identity-provider streams: Auth0 Log and Event Streams, Okta log streaming.

The real handler, moto for the Cord secret, the Cord emulator (both eras) for Cord; events from events/.
"""

import json

import pytest

from cord_sync.errors import InvalidEventError
from cord_sync.service import SyncFailedError
from lambda_runtime import ROOT, LambdaContext
from tests.conftest import era_error

ADA = "auth0|6560a1f3c2b7e5d4a9f01234"
MARY = "auth0|6560c9e1f3a5b7d2c4e80912"
ORG = "org_W4bL9hQx2fT7kJ3m"


def load(name):
    return json.loads((ROOT / "events" / name).read_text())


def emitted_metrics(capsys):
    """Metric name -> value from the EMF lines the handler printed."""
    found = {}
    for line in capsys.readouterr().out.splitlines():
        if '"_aws"' in line:
            blob = json.loads(line)
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    found[metric["Name"]] = blob[metric["Name"]]
    return found


def test_an_auth0_signup_and_then_the_users_deletion_reach_cord(deployed, sync_events_app):
    emulator, app, _ = deployed
    handler = sync_events_app.lambda_handler
    assert handler(load("auth0_log_signup.json"), LambdaContext()) == {"applied": 1, "skipped": 0}
    ada = emulator.users(app.app_id)[ADA]
    assert (ada["email"], ada["name"], ada["status"]) == ("ada@example.com", "Ada Lovelace", "active")

    handler(load("auth0_log_deleted_user.json"), LambdaContext())
    assert emulator.users(app.app_id)[ADA]["status"] == "deleted"


def test_an_auth0_organization_member_add_reaches_cord(deployed, sync_events_app):
    emulator, app, _ = deployed
    handler = sync_events_app.lambda_handler
    handler(load("auth0_event_organization_created.json"), LambdaContext())
    handler(load("auth0_event_user_created.json"), LambdaContext())
    handler(load("auth0_event_member_added.json"), LambdaContext())
    organization = emulator.organizations(app.app_id)[ORG]
    assert (organization["name"], organization["members"]) == ("Analytical Engines", [MARY])

    handler(load("auth0_event_member_deleted.json"), LambdaContext())
    assert emulator.organizations(app.app_id)[ORG]["members"] == []


def test_a_member_add_for_an_organization_cord_does_not_know_raises_for_the_retries(deployed, sync_events_app):
    emulator, _, _ = deployed
    sync_events_app.lambda_handler(load("auth0_event_user_created.json"), LambdaContext())
    with pytest.raises(SyncFailedError, match=era_error(emulator, "organization_not_found")):
        sync_events_app.lambda_handler(load("auth0_event_member_added.json"), LambdaContext())


def test_an_okta_log_stream_group_membership_add_reaches_cord_in_one_invocation(deployed, sync_events_app):
    emulator, app, _ = deployed
    result = sync_events_app.lambda_handler(load("okta_logstream_membership_add.json"), LambdaContext())
    assert result == {"applied": 3, "skipped": 0}  # organization.upsert, user.upsert, members.add
    assert emulator.users(app.app_id)["00u1ada0LoVeLaCe4x7"]["email"] == "ada@example.com"
    organization = emulator.organizations(app.app_id)["00g1eng1nEeRiNg4x7"]
    assert (organization["name"], organization["members"]) == ("Engineering", ["00u1ada0LoVeLaCe4x7"])


@pytest.mark.parametrize(
    "name", ["auth0_log_login.json", "okta_logstream_session_start.json", "auth0_log_api_update_client.json"]
)
def test_unknown_types_return_without_error_and_without_cord_calls(deployed, sync_events_app, capsys, name):
    emulator, _, _ = deployed
    emulator.clear_requests()
    capsys.readouterr()
    assert sync_events_app.lambda_handler(load(name), LambdaContext()) == {"applied": 0, "skipped": 1}
    assert emulator.requests == []
    assert emitted_metrics(capsys) == {"EventsSkipped": [1.0]}


def _partner_says_canonical(event):
    event.update({"source": "aws.partner/acme.com/hr/events", "detail-type": "user.upsert"})


def _test_delivery(event):
    event["detail"]["a0purpose"] = "test"


def _login_not_an_email(event):
    event["detail"]["target"][0]["alternateId"] = "ada"


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("okta_logstream_user_create.json", _partner_says_canonical),
        ("auth0_event_user_created.json", _test_delivery),
        ("okta_logstream_user_create.json", _login_not_an_email),
    ],
)
def test_events_that_can_never_apply_return_normally_so_lambda_does_not_retry(deployed, sync_events_app, name, change):
    emulator, _, _ = deployed
    event = load(name)
    change(event)
    emulator.clear_requests()
    assert sync_events_app.lambda_handler(event, LambdaContext()) == {"applied": 0, "skipped": 1}
    assert emulator.requests == []


def test_a_skipped_event_is_logged_with_its_source_and_type_without_personal_data(deployed, sync_events_app, caplog):
    caplog.set_level("INFO", logger="cord-sync")
    sync_events_app.lambda_handler(load("auth0_log_login.json"), LambdaContext())
    [skipped] = [record for record in caplog.records if record.getMessage() == "event skipped"]
    assert (skipped.kind, skipped.event_type) == ("auth0-log-stream", "s")
    assert skipped.source.startswith("aws.partner/auth0.com/")
    assert skipped.reason == "an Auth0 log type cord-sync does not sync"
    logged = json.dumps([vars(record) for record in caplog.records], default=str)
    assert "ada@example.com" not in logged and "auth0|" not in logged


def test_an_invalid_auth0_event_raises_and_counts_as_invalid(deployed, sync_events_app, capsys):
    event = load("auth0_event_member_added.json")
    del event["detail"]["data"]["object"]["user"]["user_id"]
    capsys.readouterr()
    with pytest.raises(InvalidEventError, match="without a user_id"):
        sync_events_app.lambda_handler(event, LambdaContext())
    assert '"EventsInvalid"' in capsys.readouterr().out
