"""Handler tests: the real handlers, moto for Secrets Manager and SQS, the emulator for Cord."""

import json

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from cord_sync.service import reset_engine
from lambda_runtime import load_handler


@pytest.fixture(scope="session")
def sync_queue_app():
    return load_handler("sync_queue")


@pytest.fixture(scope="session")
def sync_events_app():
    return load_handler("sync_events")


@pytest.fixture
def deployed(cord, monkeypatch):
    """The stack's environment: the credentials secret in (mocked) Secrets Manager, Cord at the emulator."""
    emulator, app = cord
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(
            Name="cord-sync/cord", SecretString=json.dumps({"app_id": app.app_id, "secret": app.secret})
        )["ARN"]
        monkeypatch.setenv("CORD_API_URL", emulator.url)
        monkeypatch.setenv("CORD_SECRET_ARN", arn)
        monkeypatch.setenv("CORD_AUTH_MODE", "exchange")
        monkeypatch.setenv("CORD_MAX_RETRIES", "1")
        reset_engine()
        parameters.clear_caches()
        yield emulator, app, arn
        reset_engine()
        parameters.clear_caches()
