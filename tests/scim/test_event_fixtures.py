"""events/scim_*.json (for `sam local invoke ScimFunction -e ...`) are real requests the handler serves."""

import json
from pathlib import Path

import boto3
from aws_lambda_powertools.utilities import parameters

from http_gateway import invoke
from tests.scim.conftest import TOKEN

EVENTS = Path(__file__).resolve().parents[2] / "events"


def load(name):
    return json.loads((EVENTS / name).read_text())


def test_fixtures_replay(scim, aws):
    # the fixtures carry `make serve`'s local token; keep the test token valid beside it (rotation)
    boto3.client("secretsmanager").put_secret_value(SecretId=aws.secret_arn, SecretString=f"{TOKEN} local-scim-token")
    parameters.clear_caches()

    assert invoke(scim.handler, load("scim_service_provider_config.json")).status == 200
    assert invoke(scim.handler, load("scim_list_users.json")).json()["totalResults"] == 0
    created = invoke(scim.handler, load("scim_create_user.json"))
    assert created.status == 201
    user_id = created.json()["id"]
    assert created.json()["meta"]["location"].startswith("https://abc123.execute-api.us-east-1.amazonaws.com/scim/v2/")
    listed = invoke(scim.handler, load("scim_list_users.json")).json()
    assert [r["id"] for r in listed["Resources"]] == [user_id]

    disable = load("scim_disable_user.json")
    assert invoke(scim.handler, disable).status == 404  # the fixture's id is an example
    disable["rawPath"] = disable["requestContext"]["http"]["path"] = f"/scim/v2/Users/{user_id}"
    disabled = invoke(scim.handler, disable)
    assert disabled.status == 200
    assert disabled.json()["active"] is False
    assert [e["type"] for e in aws.events()] == ["user.upsert", "user.deactivate"]
