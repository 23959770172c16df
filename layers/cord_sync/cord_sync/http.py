"""HTTP transport: one pooled urllib3 connection manager per container, bounded retries, a time budget.

Retries cover connection errors, read errors, 429 (honouring `Retry-After`, capped) and 5xx, with
exponential backoff and jitter. Every call may carry a `Deadline` (the Lambda's remaining time less a
reserve): no attempt starts, and no backoff sleeps, past it. Cord's identity writes are idempotent upserts,
so POST and PUT are retried like GET.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from cord_sync.errors import TransportError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "cord-sync/0.1 (+urllib3)"
# An attempt is not started with less time than this left: it could not finish anyway.
MIN_ATTEMPT_SECONDS = 0.25


class Deadline:
    """A point on the monotonic clock after which no request may start."""

    __slots__ = ("at",)

    def __init__(self, at: float | None) -> None:
        self.at = at

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    @classmethod
    def from_lambda_context(cls, context: Any, reserve: float = 3.0) -> Deadline:
        """The invocation's remaining time less a reserve to report results; none without a context.

        The reserve is `reserve` seconds, or a tenth of the remaining time when that is less, so that a function
        deployed with a short timeout still gets most of it rather than none.
        """
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is None:
            return cls(None)
        seconds = remaining() / 1000.0
        return cls.after(max(seconds - min(reserve, seconds / 10), 0.0))

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - time.monotonic()


NO_DEADLINE = Deadline(None)


class BudgetRetry(Retry):
    """urllib3's Retry that also gives up when the next wait would overrun the deadline."""

    def __init__(self, *args: Any, deadline: Deadline = NO_DEADLINE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def new(self, **kw: Any) -> BudgetRetry:
        kw.setdefault("deadline", self.deadline)
        return super().new(**kw)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        remaining = self.deadline.remaining()
        if remaining is not None:
            wait = new.get_retry_after(response) if response is not None else None
            if wait is None:
                wait = new.get_backoff_time()
            if wait + MIN_ATTEMPT_SECONDS > remaining:
                reason = error or ResponseError("retry budget exhausted: the invocation's time is nearly up")
                raise MaxRetryError(_pool, url, reason) from reason  # type: ignore[arg-type]
        return new


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: Any  # decoded JSON, or None when the body is not JSON
    text: str  # the raw body, truncated, for error messages
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 4
    backoff_factor: float = 0.2
    backoff_max: float = 5.0
    backoff_jitter: float = 0.2
    retry_after_max: float = 10.0


class HttpTransport:
    """A JSON-over-HTTP client bound to one base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        maxsize: int = 4,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0  # logical requests (retries not counted)
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=maxsize,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def _retries(self, deadline: Deadline) -> BudgetRetry:
        policy = self.retry
        return BudgetRetry(
            total=policy.max_retries,
            connect=policy.max_retries,
            read=policy.max_retries,
            status=policy.max_retries,
            other=0,
            redirect=0,
            allowed_methods=None,  # every Cord call cord-sync makes is idempotent
            status_forcelist=RETRY_STATUSES,
            backoff_factor=policy.backoff_factor,
            backoff_max=policy.backoff_max,
            backoff_jitter=policy.backoff_jitter,
            retry_after_max=policy.retry_after_max,
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
            deadline=deadline,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        deadline: Deadline = NO_DEADLINE,
    ) -> Response:
        remaining = deadline.remaining()
        if remaining is not None and remaining < MIN_ATTEMPT_SECONDS:
            raise TransportError(f"{method} {path}: not started, the invocation's time is nearly up")
        read = self.read_timeout if remaining is None else max(min(self.read_timeout, remaining), 0.1)
        connect = self.connect_timeout if remaining is None else max(min(self.connect_timeout, remaining), 0.1)
        all_headers = dict(headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        self.requests_sent += 1
        try:
            raw = self._pool.request(
                method,
                self.base_url + path,
                body=body,
                headers=all_headers,
                timeout=urllib3.Timeout(connect=connect, read=read),
                retries=self._retries(deadline),
            )
        except MaxRetryError as exc:
            raise TransportError(f"{method} {path}: {_reason(exc.reason)}") from None
        except HTTPError as exc:
            raise TransportError(f"{method} {path}: {_reason(exc)}") from None
        return _decode(raw)


def _reason(exc: BaseException | None) -> str:
    # urllib3's messages name the pool and URL, never request headers; keep them short.
    return f"{type(exc).__name__}: {exc}" if exc is not None else "unknown transport error"


def _decode(raw: urllib3.BaseHTTPResponse) -> Response:
    data = raw.data or b""
    text = data[:2000].decode("utf-8", "replace")
    body = None
    if data and "json" in (raw.headers.get("Content-Type") or ""):
        try:
            body = json.loads(data)
        except ValueError:
            body = None
    return Response(status=raw.status, body=body, text=text, headers=dict(raw.headers))
