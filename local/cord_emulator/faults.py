"""Injected faults and the request log record."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from http import HTTPStatus
from typing import Any

KINDS = ("status", "delay", "drop")


@dataclass
class Fault:
    """Make matching requests fail the way a proxy or an overloaded server would.

    ``path`` is a regular expression searched in the request path (query string excluded); ``method`` ``None``
    matches any method. ``kind``: ``"status"`` answers ``status`` with a JSON error body (``body`` overrides it)
    and, when ``retry_after`` is set, a ``Retry-After`` header; ``"delay"`` waits ``delay`` seconds and then
    handles the request normally; ``"drop"`` closes the connection without a response. ``delay`` also applies
    before a ``status`` or ``drop`` fault. ``count`` is how many requests the fault affects (``None``: all);
    ``hits`` counts the requests it has affected so far.
    """

    path: str = ".*"
    method: str | None = None
    kind: str = "status"
    status: int = 503
    count: int | None = 1
    retry_after: str | int | float | None = None
    delay: float = 0.0
    body: dict[str, Any] | None = None
    hits: int = field(default=0, compare=False)
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not 100 <= self.status <= 599:
            raise ValueError(f"fault status must be an HTTP status, got {self.status!r}")
        if self.count is not None and self.count < 0:
            raise ValueError("fault count must be None or >= 0")
        if self.delay < 0:
            raise ValueError("fault delay must be >= 0")
        self.method = self.method.upper() if self.method else None
        try:
            self._regex = re.compile(self.path)
        except re.error as exc:
            raise ValueError(f"fault path is not a valid regular expression: {exc}") from None

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.hits >= self.count

    def matches(self, method: str, path: str) -> bool:
        return (
            not self.exhausted
            and (self.method is None or self.method == method)
            and self._regex.search(path) is not None
        )

    def response_body(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        if self.status == 429:
            return {"error": "rate_limited", "message": "Too many requests."}
        if self.status == 500:
            return {"error": "error", "message": "internal server error"}
        try:
            phrase = HTTPStatus(self.status).phrase.lower()
        except ValueError:
            phrase = "error"
        return {"error": "error", "message": phrase}

    def headers(self) -> list[tuple[str, str]]:
        if self.retry_after is None:
            return []
        value = self.retry_after
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return [("Retry-After", str(value))]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        allowed = {f.name for f in fields(cls) if f.init and f.name != "hits"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**data)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the emulator saw it.

    ``status`` is ``None`` for a dropped connection; ``error`` is the ``error`` code of a JSON error body;
    ``auth`` is how the request authenticated (``"access_token"``, ``"server_token"`` or ``None``); ``started``
    is a Unix timestamp; ``duration`` is the seconds until the response was ready, latency and fault delays
    included (the record is written just before the response is sent); ``body_size`` is the request body in
    bytes; ``fault`` is the kind of the injected fault that hit the request, if any.
    """

    method: str
    path: str
    status: int | None
    error: str | None
    auth: str | None
    app_id: str | None
    started: float
    duration: float
    body_size: int
    fault: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
