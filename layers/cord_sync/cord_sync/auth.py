"""Authentication against Cord: signing app tokens, the /v1/authorize exchange and its cache.

Two modes (CORD_AUTH_MODE):

- `exchange` (default): sign an app token (JWT, HS512, claims `app_id`, `iat`, `exp` one minute later),
  `POST /v1/authorize`, and cache the returned access token in the warm container until shortly before
  its `expires` (an ISO-8601 time). One authorize call per container per token lifetime.
- `server_token`: send a freshly signed app token as the bearer on every request; never authorize.

`reset()` drops the cached token and makes the next use re-read the secret (it may have rotated).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from cord_sync.errors import REAUTH_CODES, AuthError, error_from_response
from cord_sync.http import NO_DEADLINE, Deadline, HttpTransport
from cord_sync.secrets import Credentials, CredentialsSource

APP_TOKEN_LIFETIME = 60  # seconds, as Cord's SDKs sign them
MAX_REFRESH_MARGIN = 300.0  # re-authorize at most five minutes before the access token expires
FALLBACK_TOKEN_LIFETIME = 60.0  # when `expires` cannot be read


def sign_app_token(credentials: Credentials, *, now: float | None = None, lifetime: int = APP_TOKEN_LIFETIME) -> str:
    """A signed app token: HS512 over {app_id, iat, exp}, keyed with the shared secret string as-is."""
    import jwt  # PyJWT; imported on first use to keep handler imports light

    issued = int(time.time() if now is None else now)
    claims = {"app_id": credentials.app_id, "iat": issued, "exp": issued + lifetime}
    return jwt.encode(claims, credentials.secret, algorithm="HS512")


class Authenticator(Protocol):
    authorize_calls: int

    def bearer(self, deadline: Deadline = NO_DEADLINE) -> str: ...

    def reset(self) -> None: ...


class ServerTokenAuth:
    """`server_token` mode: every request carries a freshly signed app token."""

    def __init__(self, credentials: CredentialsSource) -> None:
        self._credentials = credentials
        self._refresh = False
        self.authorize_calls = 0

    def bearer(self, deadline: Deadline = NO_DEADLINE) -> str:
        refresh, self._refresh = self._refresh, False
        return sign_app_token(self._credentials.get(refresh=refresh))

    def reset(self) -> None:
        self._refresh = True


class ExchangeAuth:
    """`exchange` mode: /v1/authorize once per token lifetime, cached in the warm container."""

    def __init__(
        self,
        credentials: CredentialsSource,
        transport: HttpTransport,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._transport = transport
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self._refresh_secret = False
        self.authorize_calls = 0

    def bearer(self, deadline: Deadline = NO_DEADLINE) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._token, self._refresh_at = self._authorize(deadline)
            return self._token

    def reset(self) -> None:
        with self._lock:
            self._token = None
            self._refresh_secret = True

    def _authorize(self, deadline: Deadline) -> tuple[str, float]:
        for attempt in (1, 2):
            credentials = self._credentials.get(refresh=self._refresh_secret or attempt == 2)
            self._refresh_secret = False
            self.authorize_calls += 1
            response = self._transport.request(
                "POST",
                "/v1/authorize",
                json_body={"signed_app_token": sign_app_token(credentials)},
                deadline=deadline,
            )
            body = response.body
            if response.ok and isinstance(body, dict) and isinstance(body.get("access_token"), str):
                return body["access_token"], self._refresh_time(body.get("expires"))
            if response.ok:
                raise AuthError(
                    response.status,
                    None,
                    "/v1/authorize answered without an access_token",
                    method="POST",
                    path="/v1/authorize",
                )
            error = error_from_response(response.status, body, response.text, method="POST", path="/v1/authorize")
            # A refused app token may come from a secret that rotated under the cache: re-read it once.
            if not (isinstance(error, AuthError) and error.error in REAUTH_CODES and attempt == 1):
                raise error
        raise AssertionError("unreachable")  # pragma: no cover

    def _refresh_time(self, expires: object) -> float:
        now = self._clock()
        try:
            expires_at = datetime.fromisoformat(str(expires).replace("z", "Z")).timestamp()
        except ValueError:
            return now + FALLBACK_TOKEN_LIFETIME
        lifetime = expires_at - now
        return now + max(lifetime - min(MAX_REFRESH_MARGIN, lifetime * 0.1), 0.0)
