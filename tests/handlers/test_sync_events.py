"""functions/sync_events: one canonical event per invocation from EventBridge."""

import json
from pathlib import Path

import pytest

from cord_sync.errors import InvalidEventError
from cord_sync.service import SyncFailedError
from lambda_runtime import LambdaContext
from tests.conftest import era_error

EVENTS = Path(__file__).resolve().parents[2] / "events"


def load(name):
    return json.loads((EVENTS / name).read_text())


def test_eventbridge_events_are_applied(deployed, sync_events_app, sync_queue_app):
    emulator, app, _ = deployed
    sync_queue_app.lambda_handler(load("sqs_scenario.json"), LambdaContext())  # the team exists
    assert sync_events_app.lambda_handler(load("eventbridge_user_upsert.json"), LambdaContext()) == {
        "applied": 1,
        "skipped": 0,
    }
    sync_events_app.lambda_handler(load("eventbridge_members_add.json"), LambdaContext())
    sync_events_app.lambda_handler(load("eventbridge_user_deactivate.json"), LambdaContext())
    assert emulator.users(app.app_id)["u-mary"]["email"] == "mary@example.com"
    assert "u-mary" in emulator.organizations(app.app_id)["team-compilers"]["members"]
    assert emulator.users(app.app_id)["u-grace"]["status"] == "deleted"


def test_an_event_cord_rejects_raises_for_the_async_retries(deployed, sync_events_app):
    emulator, _, _ = deployed
    with pytest.raises(SyncFailedError, match=era_error(emulator, "organization_not_found")):
        sync_events_app.lambda_handler(load("eventbridge_members_add.json"), LambdaContext())


def test_an_invalid_event_raises_with_its_reason(deployed, sync_events_app):
    event = load("eventbridge_user_upsert.json")
    del event["detail"]["email"]
    with pytest.raises(InvalidEventError, match="email"):
        sync_events_app.lambda_handler(event, LambdaContext())
    event["detail-type"] = "user.merge"
    with pytest.raises(InvalidEventError, match=r"event\.type"):
        sync_events_app.lambda_handler(event, LambdaContext())
