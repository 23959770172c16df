"""The HTTP server and :class:`CordEmulator`, the object tests, the demo and the benchmark drive."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import traceback
from collections import deque
from contextlib import suppress
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cord_emulator import store
from cord_emulator.core import (
    BODY_LIMIT,
    App,
    Core,
    Reply,
    internal_error_reply,
    json_bytes,
    json_reply,
)
from cord_emulator.era import DEFAULT_ERA
from cord_emulator.faults import Fault, RequestRecord

CONTROL_PREFIX = "/_emulator"
DRAIN_LIMIT = 64 * 1024 * 1024  # an oversized body up to this size is read and discarded; beyond, we hang up
_CHUNK = 64 * 1024


class _BadFraming(Exception):
    """The request body framing (Content-Length / chunked encoding) is unreadable."""


class CordEmulator:
    """A local Cord REST server (see cord-api.md, "What cord-sync targets").

    ``era`` picks the server it plays: ``"2022"`` (default), the 2021-2022 API; ``"2024"``, the open-source server
    as it was at shutdown (see ``era.py`` and the README). ``port=0`` picks a free port; ``latency`` (seconds) is
    added to every ``/v1`` request; ``max_token_age`` is the ``maxAge`` (seconds since ``iat``, plus 30 s
    tolerance) enforced on signed app tokens, by default the era's (60 s in 2022, 86400 s in 2024);
    ``access_token_ttl`` is the lifetime of the access-token JWTs ``/v1/authorize`` mints (the session row
    behind them always lives 24 h); ``log_limit`` bounds the request log; ``verbose`` logs requests to stderr.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        max_token_age: int | None = None,
        access_token_ttl: float = 86400,
        *,
        era: str = DEFAULT_ERA,
        log_limit: int = 100_000,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.latency = latency
        self.verbose = verbose
        self._core = Core(era=era, max_token_age=max_token_age, access_token_ttl=access_token_ttl)
        self._lock = self._core.lock
        self._faults: list[Fault] = []
        self._log: deque[RequestRecord] = deque(maxlen=log_limit)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --

    def start(self) -> CordEmulator:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="cord-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> CordEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- configuration --

    @property
    def era(self) -> str:
        """The era played: ``"2022"`` or ``"2024"`` (fixed for the emulator's lifetime)."""
        return self._core.era.name

    @property
    def max_token_age(self) -> int:
        return self._core.max_token_age

    @max_token_age.setter
    def max_token_age(self, seconds: int) -> None:
        self._core.max_token_age = seconds

    @property
    def access_token_ttl(self) -> float:
        return self._core.access_token_ttl

    @access_token_ttl.setter
    def access_token_ttl(self, seconds: float) -> None:
        self._core.access_token_ttl = seconds

    def add_app(self, app_id: str | None = None, secret: str | None = None) -> App:
        """Register an application; a missing id or secret is generated (uuid4, 64 lowercase hex)."""
        return self._core.add_app(app_id, secret)

    @property
    def apps(self) -> list[App]:
        with self._lock:
            return list(self._core.apps.values())

    # -- inspection --

    def users(self, app_id: str | None = None) -> dict[str, dict[str, Any]]:
        """A copy of the stored users (``app_id`` ``None``: the application added last), with ``organizations``."""
        with self._lock:
            tenant = self._core.tenant(app_id)
            orgs = store.memberships(tenant)
            return {user_id: {**user, "organizations": orgs.get(user_id, [])} for user_id, user in tenant.users.items()}

    def organizations(self, app_id: str | None = None) -> dict[str, dict[str, Any]]:
        """A copy of the stored organizations: ``{id, name, status, members}`` (+ ``metadata`` in 2024)."""
        with self._lock:
            tenant = self._core.tenant(app_id)
            return {org_id: store.organization_snapshot(org) for org_id, org in tenant.organizations.items()}

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def reset(self) -> None:
        """Drop all users, organizations, sessions, faults and the request log; applications stay."""
        with self._lock:
            self._core.reset()
            self._faults.clear()
            self._log.clear()

    # -- faults and tokens --

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def revoke_access_tokens(self) -> int:
        """Revoke every session: their access tokens now get 401 ``expired_access_token`` (revoked)."""
        return self._core.revoke_sessions()

    def expire_access_tokens(self) -> int:
        """Move every session's expiry into the past (the access JWTs themselves stay valid)."""
        return self._core.expire_sessions()

    # -- used by the request handler --

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def _control(self, method: str, path: str, query: str, body: bytes) -> Reply:
        """The unauthenticated ``/_emulator/`` surface for out-of-process use (the CLI)."""
        route = path[len(CONTROL_PREFIX) :].rstrip("/")
        try:
            if method == "GET" and route == "/state":
                app_id = parse_qs(query).get("app_id", [None])[0]
                return json_reply(
                    200,
                    {
                        "apps": [app.app_id for app in self.apps],
                        "users": self.users(app_id),
                        "organizations": self.organizations(app_id),
                    },
                )
            if method == "GET" and route == "/requests":
                return json_reply(200, [record.to_dict() for record in self.requests])
            if method == "DELETE" and route == "/requests":
                self.clear_requests()
                return json_reply(200, {"success": True})
            if method == "POST" and route == "/reset":
                self.reset()
                return json_reply(200, {"success": True})
            if method == "GET" and route == "/faults":
                return json_reply(200, [fault.to_dict() for fault in self.faults])
            if method == "POST" and route == "/faults":
                fault = self.inject(Fault.from_dict(json.loads(body or b"{}")))
                return json_reply(201, fault.to_dict())
            if method == "DELETE" and route == "/faults":
                self.clear_faults()
                return json_reply(200, {"success": True})
            if method == "POST" and route == "/access-tokens/revoke":
                return json_reply(200, {"success": True, "sessions": self.revoke_access_tokens()})
            if method == "POST" and route == "/access-tokens/expire":
                return json_reply(200, {"success": True, "sessions": self.expire_access_tokens()})
        except (ValueError, TypeError, LookupError) as exc:
            return Reply(400, json_bytes({"error": "invalid_request", "message": str(exc)}), error="invalid_request")
        return Reply(404, json_bytes({"error": "not_found", "message": f"Cannot {method} {path}"}), error="not_found")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: CordEmulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Hang up on idle keep-alive connections so their handler threads end with the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # a client hanging up is not worth a traceback
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cord-emulator"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.emulator.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    # -- request processing --

    def _dispatch(self) -> None:
        emulator = self.server.emulator
        started, clock = time.time(), time.perf_counter()
        method = self.command
        target = urlsplit(self.path)
        path = target.path or "/"
        try:
            raw, body_size = self._read_body()
        except _BadFraming:
            self.close_connection = True
            self._send(Reply(400, json_bytes({"error": "invalid_request", "message": "Bad request body."})))
            return
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            self._send(emulator._control(method, path, target.query, raw or b""))
            return

        if emulator.latency > 0 and path.lower().startswith("/v1"):
            time.sleep(emulator.latency)
        fault = emulator._take_fault(method, path)
        reply: Reply | None = None
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "status":
            fault_body = fault.response_body()
            reply = Reply(fault.status, json_bytes(fault_body), headers=fault.headers(), error=_error_code(fault_body))
        elif fault is None or fault.kind == "delay":
            try:
                reply = emulator._core.handle(method, path, self._header_map(), raw, target.query)
            except Exception:
                traceback.print_exc(file=sys.stderr)
                reply = internal_error_reply()
        # Recorded before answering, so a client that has its response always finds the request in the log.
        emulator._record(
            RequestRecord(
                method=method,
                path=path,
                status=reply.status if reply else None,
                error=reply.error if reply else None,
                auth=reply.auth if reply else None,
                app_id=reply.app_id if reply else None,
                started=started,
                duration=time.perf_counter() - clock,
                body_size=body_size,
                fault=fault.kind if fault else None,
            )
        )
        if emulator.verbose:
            self.log_message('"%s %s" %s', method, path, reply.status if reply else "dropped")
        if reply is None:
            self._hang_up()
        else:
            self._send(reply)

    def _header_map(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def _read_body(self) -> tuple[bytes | None, int]:
        """The body bytes and their size; ``None`` bytes when the body is over the JSON limit."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b"", 0
        try:
            length = int(length_header)
        except ValueError:
            raise _BadFraming from None
        if length < 0:
            raise _BadFraming
        if length <= BODY_LIMIT:
            return self.rfile.read(length), length
        if length > DRAIN_LIMIT:
            self.close_connection = True
            return None, length
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(_CHUNK, remaining))
            if not chunk:
                raise _BadFraming
            remaining -= len(chunk)
        return None, length

    def _read_chunked(self) -> tuple[bytes | None, int]:
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                chunk_size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadFraming from None
            if chunk_size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            if size + chunk_size > DRAIN_LIMIT:
                self.close_connection = True
                return None, size + chunk_size
            data = self.rfile.read(chunk_size)
            self.rfile.readline(8)
            size += len(data)
            if size <= BODY_LIMIT:
                parts.append(data)
        return (b"".join(parts) if size <= BODY_LIMIT else None), size

    def _send(self, reply: Reply) -> None:
        lines = [
            f"HTTP/1.1 {reply.status} {_phrase(reply.status)}",
            f"Date: {self.date_time_string()}",
            "Access-Control-Allow-Origin: *",
        ]
        if reply.content_type:
            lines.append(f"Content-Type: {reply.content_type}")
        lines.append(f"Content-Length: {len(reply.body)}")
        lines.extend(f"{name}: {value}" for name, value in reply.headers)
        lines.append("Connection: close" if self.close_connection else "Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
        self.wfile.write(head if self.command == "HEAD" else head + reply.body)

    def _hang_up(self) -> None:
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _error_code(body: Any) -> str | None:
    return body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


__all__ = ["CordEmulator", "Fault", "RequestRecord"]
