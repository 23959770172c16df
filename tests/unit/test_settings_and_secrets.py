"""Settings from the environment and the credentials secret (moto stands in for Secrets Manager)."""

import json

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from cord_sync.errors import ConfigurationError
from cord_sync.secrets import SecretsManagerCredentials, parse_credentials
from cord_sync.settings import Settings

SECRET = "9f2d1c0b8a7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c"


def test_defaults_and_overrides():
    settings = Settings.from_env({"CORD_SECRET_ARN": "arn:secret"})
    assert (settings.api_url, settings.auth_mode) == ("https://api.cord.com", "exchange")
    custom = Settings.from_env(
        {
            "CORD_SECRET_ARN": "arn:secret",
            "CORD_API_URL": "http://cord.internal:8080/",
            "CORD_AUTH_MODE": "Server_Token ",
        }
    )
    assert (custom.api_url, custom.auth_mode) == ("http://cord.internal:8080", "server_token")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "CORD_SECRET_ARN is not set"),
        ({"CORD_SECRET_ARN": "a", "CORD_AUTH_MODE": "oauth"}, "CORD_AUTH_MODE must be one of"),
        ({"CORD_SECRET_ARN": "a", "CORD_API_URL": "api.cord.com"}, "CORD_API_URL must be an http"),
        ({"CORD_SECRET_ARN": "a", "CORD_READ_TIMEOUT": "soon"}, "invalid numeric setting"),
    ],
)
def test_bad_settings_fail_closed(env, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("plain text " + SECRET, "is not JSON"),
        (json.dumps(["x"]), "must hold a JSON object"),
        (json.dumps({"secret": SECRET}), "lacks app_id"),
        (json.dumps({"app_id": "a", "secret": ""}), "lacks secret"),
        (json.dumps({"app_id": 5, "secret": 7}), "lacks app_id and secret"),
    ],
)
def test_malformed_secret_names_what_is_missing_never_the_value(raw, message):
    with pytest.raises(ConfigurationError, match=message) as info:
        parse_credentials(raw, where="arn:aws:secretsmanager:us-east-1:1:secret:cord")
    assert SECRET not in str(info.value)


def test_credentials_repr_hides_the_secret():
    credentials = parse_credentials(json.dumps({"app_id": "app", "secret": SECRET}), where="x")
    assert SECRET not in repr(credentials)


@mock_aws
def test_secret_is_cached_and_re_read_on_refresh():
    parameters.clear_caches()
    client = boto3.client("secretsmanager")
    arn = client.create_secret(Name="cord", SecretString=json.dumps({"app_id": "a1", "secret": SECRET}))["ARN"]
    source = SecretsManagerCredentials(arn)
    assert source.get().app_id == "a1"
    client.put_secret_value(SecretId=arn, SecretString=json.dumps({"app_id": "a2", "secret": SECRET}))
    assert source.get().app_id == "a1"  # cached
    assert source.get(refresh=True).app_id == "a2"  # rotated secret picked up
    parameters.clear_caches()


@mock_aws
def test_missing_secret_is_a_configuration_error():
    parameters.clear_caches()
    with pytest.raises(ConfigurationError, match="cannot read secret"):
        SecretsManagerCredentials("arn:aws:secretsmanager:us-east-1:123456789012:secret:nope").get()
