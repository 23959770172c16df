"""Front-door secrets: several values for rotation, constant-time matching, failing closed."""

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from cord_sync.errors import ConfigurationError
from cord_sync.secrets import SharedSecret

TOKEN = "tok-4f9a1c2e8b7d6a5f4e3d2c1b0a9f8e7d"


@pytest.fixture
def secret(monkeypatch):
    parameters.clear_caches()
    with mock_aws():
        client = boto3.client("secretsmanager")

        def put(value):
            arn = client.create_secret(Name=f"s{len(client.list_secrets()['SecretList'])}", SecretString=value)["ARN"]
            monkeypatch.setenv("TEST_SECRET_ARN", arn)
            parameters.clear_caches()
            return arn

        yield put
    parameters.clear_caches()


def test_matches_any_configured_value(secret):
    secret(f"  {TOKEN}\nnext-{TOKEN} ")
    shared = SharedSecret("TEST_SECRET_ARN")
    assert shared.values() == (TOKEN, f"next-{TOKEN}")
    assert shared.matches(TOKEN) and shared.matches(f"next-{TOKEN}")
    assert not shared.matches(TOKEN[:-1]) and not shared.matches("") and not shared.matches(None)


def test_unset_or_empty_secret_fails_closed_without_leaking(secret, monkeypatch):
    monkeypatch.delenv("TEST_SECRET_ARN", raising=False)
    with pytest.raises(ConfigurationError, match="TEST_SECRET_ARN"):
        SharedSecret("TEST_SECRET_ARN").matches(TOKEN)
    secret("   ")
    with pytest.raises(ConfigurationError, match="is empty"):
        SharedSecret("TEST_SECRET_ARN").values()
    monkeypatch.setenv("TEST_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing")
    with pytest.raises(ConfigurationError, match="cannot read secret") as info:
        SharedSecret("TEST_SECRET_ARN").values()
    assert TOKEN not in str(info.value)
