"""functions/sync_queue: the SQS handler end to end (events/sqs_scenario.json)."""

import json
import logging
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from cord_sync.errors import ConfigurationError
from cord_sync.service import default_engine, reset_engine
from lambda_runtime import LambdaContext

SCENARIO = json.loads((Path(__file__).resolve().parents[2] / "events" / "sqs_scenario.json").read_text())


def ids_of_bad_records():
    bad = set()
    for record in SCENARIO["Records"]:
        try:
            body = json.loads(record["body"])
        except ValueError:
            bad.add(record["messageId"])
            continue
        if body["data"].get("email") == "not-an-email":
            bad.add(record["messageId"])
    return bad


def test_scenario_applies_everything_but_the_malformed_records(deployed, sync_queue_app):
    emulator, app, _ = deployed
    response = sync_queue_app.lambda_handler(SCENARIO, LambdaContext())
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    assert failed == ids_of_bad_records() and len(failed) == 2

    users = emulator.users(app.app_id)
    assert set(users) == {"u-ada", "u-grace", "u-alan", "4217"}
    assert users["u-grace"]["email"] == "grace.hopper@example.com"  # the later profile change won
    assert users["u-alan"]["status"] == "deleted"  # the leaver
    orgs = emulator.organizations(app.app_id)
    assert sorted(orgs["team-compilers"]["members"]) == ["u-ada", "u-grace"]
    assert sorted(orgs["team-research"]["members"]) == ["4217", "u-ada"]
    # One batch for everything (the membership changes fold into team-research's full list), then the leaver
    # once more as deleted: Cord creates batch users active whatever their status.
    assert [r.path for r in emulator.requests] == ["/v1/authorize", "/v1/batch", "/v1/batch"]


def test_warm_container_authorizes_once(deployed, sync_queue_app):
    emulator, _, _ = deployed
    for _ in range(3):
        sync_queue_app.lambda_handler(SCENARIO, LambdaContext())
    assert sum(1 for r in emulator.requests if r.path == "/v1/authorize") == 1


def test_a_batch_where_every_record_fails_fails_the_invocation(deployed, sync_queue_app):
    event = {"Records": [r for r in SCENARIO["Records"] if r["messageId"] in ids_of_bad_records()]}
    with pytest.raises(BatchProcessingError):
        sync_queue_app.lambda_handler(event, LambdaContext())


def test_missing_secret_setting_fails_closed(deployed, sync_queue_app, monkeypatch):
    emulator, _, _ = deployed
    monkeypatch.delenv("CORD_SECRET_ARN")
    reset_engine()
    with pytest.raises(ConfigurationError, match="CORD_SECRET_ARN"):
        sync_queue_app.lambda_handler(SCENARIO, LambdaContext())
    assert emulator.requests == []


def test_server_token_mode_from_the_environment(deployed, sync_queue_app, monkeypatch):
    emulator, app, _ = deployed
    monkeypatch.setenv("CORD_AUTH_MODE", "server_token")
    reset_engine()
    sync_queue_app.lambda_handler(SCENARIO, LambdaContext())
    assert all(r.auth == "server_token" for r in emulator.requests)
    assert "u-ada" in emulator.users(app.app_id)


def test_logs_never_carry_the_secret_or_tokens(deployed, sync_queue_app, capsys, caplog):
    emulator, app, _ = deployed
    from cord_sync.observability import logger

    logger.setLevel("DEBUG")
    try:
        with caplog.at_level(logging.DEBUG):
            emulator.revoke_access_tokens()
            sync_queue_app.lambda_handler(SCENARIO, LambdaContext())
            emulator.revoke_access_tokens()  # the warm container renews its token on the next call
            sync_queue_app.lambda_handler(SCENARIO, LambdaContext())
    finally:
        logger.setLevel("INFO")
    token = default_engine().client.auth._token
    output = capsys.readouterr().out + caplog.text
    assert "change not applied" in output or "invalid change event" in output  # logs were captured
    assert token and token not in output
    assert app.secret not in output
    assert "Bearer" not in output and "signed_app_token" not in output


def test_the_warm_engine_follows_a_changed_environment(deployed, monkeypatch):
    first = default_engine()
    assert default_engine() is first  # kept while the settings stay
    monkeypatch.setenv("CORD_API_URL", "http://127.0.0.1:9")
    second = default_engine()
    assert second is not first and second.client.transport.base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize("context", [None, object(), LambdaContext()])
def test_handler_accepts_a_missing_or_partial_context(deployed, sync_queue_app, context):
    emulator, app, _ = deployed
    response = sync_queue_app.lambda_handler(SCENARIO, context)
    assert len(response["batchItemFailures"]) == 2
    assert "u-ada" in emulator.users(app.app_id)
