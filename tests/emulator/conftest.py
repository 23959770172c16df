"""Fixtures for the emulator's own tests: one emulator for the module set, a clean state per test.

Every test talks to the emulator over real HTTP on 127.0.0.1 through ``helpers.Api``; tokens are signed the way
cord-sync's client does (HS512, the app secret as-is).
"""

from __future__ import annotations

from typing import Any

import pytest
import urllib3

from cord_emulator import App, CordEmulator

from .helpers import Api, Response, sign


@pytest.fixture(scope="session")
def pool():
    with urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2.0, read=5.0)) as manager:
        yield manager


@pytest.fixture(scope="session")
def emu():
    """The emulator shared by the tests that need no special settings."""
    with CordEmulator(host="127.0.0.1", port=0) as emulator:
        emulator.add_app()
        yield emulator


@pytest.fixture
def app(emu) -> App:
    """The shared emulator's application, with all data, sessions, faults and the log dropped."""
    emu.reset()
    return emu.apps[0]


@pytest.fixture
def api(emu, app, pool) -> Api:
    """Requests authenticated with a fresh server token (the direct mode) per request."""

    class ServerTokenApi(Api):
        def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Response:
            self.token = sign(app)
            return super().request(method, path, body, **kwargs)

    return ServerTokenApi(pool, emu.url)


@pytest.fixture
def anon(emu, app, pool) -> Api:
    """Requests without an Authorization header."""
    return Api(pool, emu.url)


@pytest.fixture
def token():
    """``token(app, **claims)``: sign an app token (see :func:`sign`)."""
    return sign


@pytest.fixture
def access_token(anon, app) -> str:
    """An access token from the ``/v1/authorize`` exchange."""
    reply = anon.post("/v1/authorize", {"signed_app_token": sign(app)})
    assert reply.status == 200, reply.data
    return reply.json["access_token"]


@pytest.fixture
def session_api(emu, pool, access_token) -> Api:
    """Requests authenticated with the exchanged access token (the default client mode)."""
    return Api(pool, emu.url, access_token)
