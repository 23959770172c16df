"""Typed settings, read from the environment once.

Environment variables (the names are part of cord-sync's contract):

    CORD_API_URL          base URL of the Cord REST API (default https://api.cord.com; self-hosted servers too)
    CORD_SECRET_ARN       Secrets Manager secret holding {"app_id": "...", "secret": "..."} (required)
    CORD_AUTH_MODE        "exchange" (default: sign an app token, POST /v1/authorize, cache the access token)
                          or "server_token" (send a freshly signed app token as the bearer on every call)
    CORD_CONNECT_TIMEOUT  seconds, default 3.05
    CORD_READ_TIMEOUT     seconds, default 15
    CORD_MAX_RETRIES      retries on connection errors, 429 and 5xx, default 4

Powertools reads its own POWERTOOLS_* variables (service name, log level, metrics namespace).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from cord_sync.errors import ConfigurationError

AuthMode = Literal["exchange", "server_token"]
AUTH_MODES: tuple[str, ...] = ("exchange", "server_token")
DEFAULT_API_URL = "https://api.cord.com"


@dataclass(frozen=True, slots=True)
class Settings:
    secret_arn: str
    api_url: str = DEFAULT_API_URL
    auth_mode: AuthMode = "exchange"
    connect_timeout: float = 3.05
    read_timeout: float = 15.0
    max_retries: int = 4

    def __post_init__(self) -> None:
        if not self.secret_arn:
            raise ConfigurationError("CORD_SECRET_ARN is not set: cord-sync needs the Cord credentials secret")
        url = urlsplit(self.api_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ConfigurationError(f"CORD_API_URL must be an http(s) URL, got {self.api_url!r}")
        if self.auth_mode not in AUTH_MODES:
            raise ConfigurationError(f"CORD_AUTH_MODE must be one of {', '.join(AUTH_MODES)}, got {self.auth_mode!r}")
        if self.connect_timeout <= 0 or self.read_timeout <= 0 or self.max_retries < 0:
            raise ConfigurationError("timeouts must be positive and CORD_MAX_RETRIES not negative")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        try:
            return cls(
                secret_arn=env.get("CORD_SECRET_ARN", "").strip(),
                api_url=(env.get("CORD_API_URL") or DEFAULT_API_URL).strip().rstrip("/"),
                auth_mode=(env.get("CORD_AUTH_MODE") or "exchange").strip().lower(),  # type: ignore[arg-type]
                connect_timeout=float(env.get("CORD_CONNECT_TIMEOUT") or 3.05),
                read_timeout=float(env.get("CORD_READ_TIMEOUT") or 15.0),
                max_retries=int(env.get("CORD_MAX_RETRIES") or 4),
            )
        except ValueError as exc:
            raise ConfigurationError(f"invalid numeric setting: {exc}") from None
