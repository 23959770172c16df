"""The one error tree of cord_sync.

    CordSyncError                      base of everything this package raises
    ├── ConfigurationError             settings or the Cord secret are missing or malformed (fail closed)
    ├── InvalidEventError              a change event that does not match the canonical schema
    └── CordError                      anything that went wrong talking to Cord
        ├── TransportError             no usable HTTP response: connect/read timeout, dropped connection,
        │                              retry budget spent before a response arrived (retryable)
        └── ApiError                   Cord answered with a non-2xx status; carries status, error, message
            ├── AuthError              401 with an auth code (invalid/expired token, unknown application,
            │                          bad header) after the one re-authorization the client attempts
            ├── NotFoundError          user_not_found, organization_not_found, group_not_found,
            │                          invalid_user_id: a data problem of the records concerned
            ├── InvalidRequestError    400: Cord rejected the body (missing/unexpected/invalid field)
            ├── ConflictError          409: already exists
            ├── RateLimitedError       429 after the retries (retryable)
            └── ServerError            5xx after the retries (retryable)

`retryable` tells whether the same request may succeed later unchanged. Messages never contain the Cord
secret, a signed app token, an access token or an Authorization header.
"""

from __future__ import annotations


class CordSyncError(Exception):
    """Base class of every error raised by cord_sync."""

    retryable = False


class ConfigurationError(CordSyncError):
    """The deployment is misconfigured: a setting or the secret is missing or has the wrong shape."""


class InvalidEventError(CordSyncError):
    """A change event failed validation; `reason` says why in words fit for a log or a DLQ."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CordError(CordSyncError):
    """Base of the errors that come from talking to Cord."""


class TransportError(CordError):
    """No usable HTTP response (timeouts, dropped connections, retry budget spent)."""

    retryable = True


class ApiError(CordError):
    """Cord answered with a non-2xx status."""

    def __init__(self, status: int, error: str | None, message: str, *, method: str = "", path: str = ""):
        self.status = status
        self.error = error
        self.message = message
        self.method = method
        self.path = path
        where = f"{method} {path} " if method else ""
        super().__init__(f"{where}-> {status} {error or 'error'}: {message}")


class AuthError(ApiError):
    """Cord refused the credentials: wrong app id or secret, clock skew, revoked token, bad header."""


class NotFoundError(ApiError):
    """A user or organization the request refers to does not exist in Cord."""


class InvalidRequestError(ApiError):
    """Cord rejected the request body (400)."""


class ConflictError(ApiError):
    """The object already exists (409)."""


class RateLimitedError(ApiError):
    """Cord (or a proxy in front of it) kept answering 429."""

    retryable = True


class ServerError(ApiError):
    """Cord kept answering 5xx."""

    retryable = True


# How cord_sync reads Cord's `error` codes (never the messages, which differ by era); see cord-api.md §4.4.
NOT_FOUND_CODES = frozenset({"user_not_found", "organization_not_found", "group_not_found", "invalid_user_id"})
# The cached access token or the signed app token was refused: drop the cache, re-read the secret, retry once.
REAUTH_CODES = frozenset({"invalid_access_token", "expired_access_token", "invalid_app_token", "invalid_project_token"})


def error_from_response(status: int, body: object, text: str, *, method: str = "", path: str = "") -> ApiError:
    """Map a non-2xx Cord response onto the error tree, by status and `error` code."""
    code = message = None
    if isinstance(body, dict):
        code = body.get("error") if isinstance(body.get("error"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else None
    if message is None:
        message = " ".join(text.split())[:200] or "no response body"
        if status == 404:
            message = f"no such endpoint (is CORD_API_URL right?): {message}"
    kind: type[ApiError]
    if code in NOT_FOUND_CODES:
        kind = NotFoundError
    elif status == 401:
        kind = AuthError
    elif status == 400:
        kind = InvalidRequestError
    elif status == 409:
        kind = ConflictError
    elif status == 429:
        kind = RateLimitedError
    elif status >= 500:
        kind = ServerError
    else:
        kind = ApiError
    return kind(status, code, message, method=method, path=path)
