"""Auth against the emulator: the exchange and its cache, server tokens, renewals, failing closed."""

import time
import uuid

import jwt
import pytest

from cord_emulator import Fault
from cord_sync.auth import sign_app_token
from cord_sync.errors import AuthError
from cord_sync.secrets import Credentials
from tests.conftest import era_error, make_client


def authorize_calls(emulator):
    return sum(1 for r in emulator.requests if r.path == "/v1/authorize")


def test_app_token_is_hs512_with_app_id_iat_and_a_one_minute_exp():
    credentials = Credentials(str(uuid.uuid4()), "s" * 64)
    token = sign_app_token(credentials, now=1_800_000_000)
    assert jwt.get_unverified_header(token)["alg"] == "HS512"
    claims = jwt.decode(
        token, credentials.secret, algorithms=["HS512"], options={"verify_exp": False, "verify_iat": False}
    )
    assert claims == {"app_id": credentials.app_id, "iat": 1_800_000_000, "exp": 1_800_000_060}


def test_exchange_authorizes_once_for_many_calls(cord, client):
    emulator, _ = cord
    for n in range(5):
        client.upsert_user(f"u{n}", {"email": f"u{n}@example.com"})
    assert authorize_calls(emulator) == 1
    assert {r.auth for r in emulator.requests if r.path.startswith("/v1/users")} == {"access_token"}


def test_exchange_renews_shortly_before_expiry(cord):
    emulator, app = cord
    now = [time.time()]
    client = make_client(emulator.url, app)
    client.auth._clock = lambda: now[0]
    client.upsert_user("u1", {"email": "u1@example.com"})
    now[0] += 20 * 3600  # still well inside the 24 h token
    client.upsert_user("u1", {"name": "x"})
    assert authorize_calls(emulator) == 1
    now[0] += 3.97 * 3600  # within the last few minutes of the token's life
    client.upsert_user("u1", {"name": "y"})
    assert authorize_calls(emulator) == 2


def test_revoked_access_token_is_renewed_once_and_the_call_retried(cord, client):
    emulator, app = cord
    client.upsert_user("u1", {"email": "u1@example.com"})
    emulator.revoke_access_tokens()
    client.upsert_user("u1", {"name": "After revocation"})
    assert emulator.users(app.app_id)["u1"]["name"] == "After revocation"
    statuses = [(r.path, r.status, r.error) for r in emulator.requests]
    assert ("/v1/users/u1", 401, "expired_access_token") in statuses
    assert authorize_calls(emulator) == 2


def test_expired_session_is_renewed(cord, client):
    emulator, _app = cord
    client.upsert_user("u1", {"email": "u1@example.com"})
    emulator.expire_access_tokens()
    client.upsert_user("u1", {"name": "later"})
    assert authorize_calls(emulator) == 2


def test_server_token_mode_never_authorizes(cord):
    emulator, app = cord
    client = make_client(emulator.url, app, mode="server_token")
    client.batch([{"id": "u1", "email": "u1@example.com"}])
    client.upsert_user("u1", {"name": "n"})
    assert authorize_calls(emulator) == 0
    assert {r.auth for r in emulator.requests if r.path.startswith("/v1/")} == {"server_token"}


class RotatingCredentials:
    """A credentials source whose secret rotates: the cached value is stale until re-read."""

    def __init__(self, stale, fresh):
        self.stale, self.fresh, self.reads = stale, fresh, []

    def get(self, *, refresh=False):
        self.reads.append(refresh)
        return self.fresh if refresh else self.stale


@pytest.mark.parametrize("mode", ["exchange", "server_token"])
def test_a_rotated_secret_is_re_read_after_a_refusal(cord, mode):
    emulator, app = cord
    source = RotatingCredentials(Credentials(app.app_id, "0" * 64), Credentials(app.app_id, app.secret))
    client = make_client(emulator.url, app, mode=mode, credentials=source)
    client.upsert_user("u1", {"email": "u1@example.com"})
    assert "u1" in emulator.users(app.app_id)
    assert True in source.reads


@pytest.mark.parametrize("mode", ["exchange", "server_token"])
def test_wrong_secret_fails_closed_without_leaking_it(cord, mode, caplog):
    emulator, app = cord
    wrong = "f" * 64
    client = make_client(emulator.url, app, mode=mode, credentials=_static(app.app_id, wrong))
    with caplog.at_level("DEBUG"), pytest.raises(AuthError) as info:
        client.upsert_user("u1", {"email": "u1@example.com"})
    assert info.value.error == era_error(emulator, "invalid_app_token")
    assert wrong not in str(info.value) and wrong not in caplog.text
    assert len([r for r in emulator.requests if r.path.startswith("/v1/")]) == 2  # one retry, then stop


def test_unknown_application_is_not_retried(cord):
    emulator, app = cord
    client = make_client(emulator.url, app, credentials=_static(str(uuid.uuid4()), app.secret))
    with pytest.raises(AuthError) as info:
        client.upsert_user("u1", {"email": "u1@example.com"})
    assert info.value.error == era_error(emulator, "application_not_found")
    assert authorize_calls(emulator) == 1


def test_authorize_survives_a_transient_5xx(cord, client):
    emulator, _ = cord
    emulator.inject(Fault(path=r"^/v1/authorize$", kind="status", status=500, count=1))
    client.upsert_user("u1", {"email": "u1@example.com"})
    assert authorize_calls(emulator) == 2  # the retry, not a second exchange


def _static(app_id, secret):
    from cord_sync.secrets import StaticCredentials

    return StaticCredentials(app_id, secret)
