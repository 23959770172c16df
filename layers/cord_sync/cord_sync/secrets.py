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
