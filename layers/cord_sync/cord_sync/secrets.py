"""The Cord credentials: `{"app_id": "...", "secret": "..."}` in a Secrets Manager secret.

Read through Powertools parameters (cached for `max_age` seconds per container); `get(refresh=True)`
bypasses the cache, which the auth code does after Cord refuses a token (the secret may have rotated).
Errors name the secret and the missing key, never the value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

from cord_sync.errors import ConfigurationError

REQUIRED_KEYS = ("app_id", "secret")


@dataclass(frozen=True, slots=True)
class Credentials:
    app_id: str
    secret: str = field(repr=False)


class CredentialsSource(Protocol):
    def get(self, *, refresh: bool = False) -> Credentials: ...


def parse_credentials(raw: str | bytes | None, *, where: str) -> Credentials:
    """Parse the secret's JSON value; `where` names the secret in error messages."""
    try:
        value = json.loads(raw) if raw is not None else None
    except ValueError:
        raise ConfigurationError(f'secret {where} is not JSON: expected {{"app_id": ..., "secret": ...}}') from None
    if not isinstance(value, dict):
        raise ConfigurationError(f"secret {where} must hold a JSON object with keys app_id and secret")
    missing = [k for k in REQUIRED_KEYS if not isinstance(value.get(k), str) or not value[k].strip()]
    if missing:
        raise ConfigurationError(
            f"secret {where} lacks {' and '.join(missing)} (a non-empty string is required for each)"
        )
    return Credentials(app_id=value["app_id"].strip(), secret=value["secret"])


class StaticCredentials:
    """Credentials given directly (tests, local tools)."""

    def __init__(self, app_id: str, secret: str) -> None:
        self._credentials = Credentials(app_id, secret)

    def get(self, *, refresh: bool = False) -> Credentials:
        return self._credentials


class SecretsManagerCredentials:
    """Credentials read from Secrets Manager through Powertools parameters, with its cache."""

    def __init__(self, secret_arn: str, *, max_age: int = 300) -> None:
        if not secret_arn:
            raise ConfigurationError("no Cord credentials secret is configured (CORD_SECRET_ARN)")
        self.secret_arn = secret_arn
        self.max_age = max_age

    def get(self, *, refresh: bool = False) -> Credentials:
        # Imported here: Powertools parameters pulls in boto3, which a warm container pays for only once
        # and a cold start only when it actually needs the secret.
        from aws_lambda_powertools.utilities import parameters

        try:
            raw = parameters.get_secret(self.secret_arn, max_age=self.max_age, force_fetch=refresh)
        except parameters.exceptions.GetParameterError as exc:
            raise ConfigurationError(f"cannot read secret {self.secret_arn}: {exc}") from None
        return parse_credentials(raw, where=self.secret_arn)


class SharedSecret:
    """A front door's shared secret (SCIM bearer token, Okta hook secret, webhook signing keys).

    The ARN comes from the environment variable `env_var`, read on every call; the value from Secrets
    Manager through Powertools' cache. The secret string holds one value, or several separated by
    whitespace so that a new one can be added before the old one is retired. Fails closed: no ARN, an
    unreadable secret or an empty value raise ConfigurationError, whose message never holds the value.
    """

    def __init__(self, env_var: str, *, max_age: int = 300) -> None:
        self.env_var = env_var
        self.max_age = max_age

    def values(self) -> tuple[str, ...]:
        import os

        from aws_lambda_powertools.utilities import parameters

        arn = os.environ.get(self.env_var, "").strip()
        if not arn:
            raise ConfigurationError(f"no secret is configured ({self.env_var})")
        try:
            raw = parameters.get_secret(arn, max_age=self.max_age)
        except parameters.exceptions.GetParameterError as exc:
            raise ConfigurationError(f"cannot read secret {arn}: {type(exc).__name__}") from None
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        values = tuple(str(raw or "").split())
        if not values:
            raise ConfigurationError(f"secret {arn} is empty")
        return values

    def matches(self, candidate: str | None) -> bool:
        """True when `candidate` equals one of the values, compared in constant time; never for empty input."""
        import hmac

        if not candidate:
            return False
        given = candidate.encode()
        found = False
        for value in self.values():  # no early exit: every value is compared
            found |= hmac.compare_digest(given, value.encode())
        return found
