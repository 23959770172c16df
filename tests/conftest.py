"""Shared test setup: no real AWS credentials, region fixed, network limited to 127.0.0.1 (pyproject)."""

import os

import pytest

from cord_emulator import CordEmulator
from cord_sync.api import CordClient
from cord_sync.auth import ExchangeAuth, ServerTokenAuth
from cord_sync.http import HttpTransport, RetryPolicy
from cord_sync.secrets import StaticCredentials
from cord_sync.sync import SyncEngine

# Fake credentials so that nothing can ever reach a real AWS account; moto intercepts every call.
for _name, _value in {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_SERVICE_NAME": "cord-sync",
    "POWERTOOLS_METRICS_NAMESPACE": "CordSyncTests",
}.items():
    os.environ[_name] = _value


FAST_RETRIES = RetryPolicy(max_retries=3, backoff_factor=0.0, backoff_jitter=0.0, retry_after_max=1.0)


@pytest.fixture(scope="session", params=["2022", "2024"])
def emulator(request):
    """One Cord emulator per API era (a real HTTP server on 127.0.0.1) for the whole session.

    2022 is the era cord-sync's defaults target; 2024 is the open-source server as it was at shutdown (other
    error names, email optional, paginated lists, groups). Every client, sync and handler test runs on both.
    """
    with CordEmulator(host="127.0.0.1", port=0, era=request.param) as emu:
        yield emu


def era_error(emulator, name: str) -> str:
    """The error code `name` (2022 spelling) as the emulator's era spells it."""
    renamed = {
        "invalid_app_token": "invalid_project_token",
        "application_not_found": "project_not_found",
        "organization_not_found": "group_not_found",
    }
    return renamed.get(name, name) if emulator.era == "2024" else name


@pytest.fixture
def cord(emulator):
    """A clean emulator with one fresh application; yields (emulator, app)."""
    emulator.reset()
    app = emulator.add_app()
    yield emulator, app
    emulator.reset()


def make_client(url, app, *, mode="exchange", retry=FAST_RETRIES, read_timeout=5.0, credentials=None):
    transport = HttpTransport(url, connect_timeout=1.0, read_timeout=read_timeout, retry=retry)
    credentials = credentials or StaticCredentials(app.app_id, app.secret)
    auth = ServerTokenAuth(credentials) if mode == "server_token" else ExchangeAuth(credentials, transport)
    return CordClient(transport, auth)


@pytest.fixture
def client(cord):
    emulator, app = cord
    return make_client(emulator.url, app)


@pytest.fixture
def engine(client):
    return SyncEngine(client)
