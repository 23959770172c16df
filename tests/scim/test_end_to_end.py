"""SCIM request -> sync queue -> functions/sync_queue -> the Cord emulator."""

import json

import boto3
import pytest

from cord_sync.service import reset_engine
from lambda_runtime import drain_queue, load_handler
from tests.scim.conftest import group_body, patch_body, user_body


@pytest.fixture(scope="module")
def sync_queue_app():
    return load_handler("sync_queue")


@pytest.fixture
def cord_side(aws, cord, monkeypatch):
    emulator, app = cord
    arn = boto3.client("secretsmanager").create_secret(
        Name=f"cord-sync/cord-{aws.table}", SecretString=json.dumps({"app_id": app.app_id, "secret": app.secret})
    )["ARN"]
    monkeypatch.setenv("CORD_API_URL", emulator.url)
    monkeypatch.setenv("CORD_SECRET_ARN", arn)
    monkeypatch.setenv("CORD_MAX_RETRIES", "1")
    reset_engine()
    yield emulator, app
    reset_engine()


def test_provisioned_users_and_groups_reach_cord(scim, aws, cord_side, sync_queue_app):
    emulator, app = cord_side
    ada = scim.post("/Users", user_body("ada@example.com", displayName="Ada Lovelace")).json()["id"]
    alan = scim.post("/Users", user_body("alan@example.com", displayName="Alan Turing")).json()["id"]
    group = scim.post("/Groups", group_body("Analytical Engine", [ada, alan])).json()["id"]
    scim.patch(f"/Users/{alan}", patch_body({"op": "Replace", "path": "active", "value": "False"}))

    runs = drain_queue(aws.sqs, aws.queue_url, sync_queue_app.lambda_handler)
    assert [run.failed for run in runs] == [[]]

    users = emulator.users(app.app_id)
    assert users[ada]["email"] == "ada@example.com"
    assert users[ada]["name"] == "Ada Lovelace"
    assert users[ada]["status"] == "active"
    assert users[alan]["status"] == "deleted"
    organization = emulator.organizations(app.app_id)[group]
    assert organization["name"] == "Analytical Engine"
    assert sorted(organization["members"]) == sorted([ada, alan])

    # a member leaves, then the group goes
    scim.patch(f"/Groups/{group}", patch_body({"op": "remove", "path": f'members[value eq "{alan}"]'}))
    scim.delete(f"/Groups/{group}")
    runs = drain_queue(aws.sqs, aws.queue_url, sync_queue_app.lambda_handler)
    assert [run.failed for run in runs] == [[]]
    organization = emulator.organizations(app.app_id)[group]
    assert organization["members"] == [ada]
    assert organization["status"] == "deleted"
