"""Helpers for the emulator tests: token signing and a thin urllib3 wrapper returning parsed replies."""

from __future__ import annotations

import json
import time
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

import jwt
import urllib3
from jwt.warnings import InsecureKeyLengthWarning

from cord_emulator import App


class Ago(int):
    """A time claim given as seconds before the moment of signing (parametrize lists are built at import)."""


def sign(app: App | None = None, *, secret: str | None = None, algorithm: str = "HS512", **claims: Any) -> str:
    """A signed app token: ``{app_id, iat, exp}`` by default; a claim passed as ``None`` is left out."""
    now = int(time.time())
    payload: dict[str, Any] = {"app_id": app.app_id if app else str(uuid.uuid4()), "iat": now, "exp": now + 60}
    payload.update({key: now - value if isinstance(value, Ago) else value for key, value in claims.items()})
    payload = {key: value for key, value in payload.items() if value is not None}
    key = secret if secret is not None else (app.secret if app else "x" * 64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)  # short "wrong" secrets are the point here
        return jwt.encode(payload, key, algorithm=algorithm)


@dataclass
class Response:
    status: int
    headers: Any
    data: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.data)

    @property
    def error(self) -> tuple[str, str]:
        body = self.json
        return body["error"], body["message"]


class Api:
    """Requests to one emulator; ``token`` is sent as the Bearer token unless ``auth`` overrides it."""

    def __init__(self, pool: urllib3.PoolManager, url: str, token: str | None = None) -> None:
        self.pool, self.url, self.token = pool, url, token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Response:
        sent = dict(headers or {})
        authorization = auth if auth is not None else (f"Bearer {self.token}" if self.token else None)
        if authorization is not None and "Authorization" not in sent:
            sent["Authorization"] = authorization
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        reply = self.pool.request(method, self.url + path, body=data, headers=sent)
        return Response(reply.status, reply.headers, reply.data)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("PUT", path, body, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("POST", path, body, **kwargs)
