"""API Gateway's HTTP API in miniature: real HTTP requests in, payload format 2.0 events to Lambda handlers.

- `http_api_event(...)`: build the event an HTTP API hands a Lambda proxy integration (format version 2.0).
- `invoke(handler, event)`: call a handler and normalize its answer the way an HTTP API does.
- `HttpGateway(routes)`: a threaded HTTP server on 127.0.0.1 routing path prefixes to handlers; each route
  runs one invocation at a time, as one warm Lambda container would. Tests, `make serve`, the demo and the
  benchmark put the real handlers behind it.

Like the real service, it lower-cases header names, joins repeated headers and query parameters with
commas, base64-encodes bodies whose content type is not textual (`application/scim+json` included), and
answers 404 `{"message":"Not Found"}` for a path no route covers and 500 `{"message":"Internal Server
Error"}` when a handler raises.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lambda_runtime import LambdaContext

Handler = Callable[[dict, Any], Any]

TEXT_TYPES = ("application/json", "application/javascript", "application/xml", "application/x-www-form-urlencoded")


def _is_text(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in TEXT_TYPES


def http_api_event(
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    body: bytes | str | None = None,
    query: str = "",
    route_key: str = "$default",
    source_ip: str = "127.0.0.1",
    stage: str = "$default",
) -> dict[str, Any]:
    """The payload-format-2.0 event an HTTP API sends for one request."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in pairs:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    if "?" in path and not query:
        path, query = path.split("?", 1)
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    raw = body.encode() if isinstance(body, str) else body
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": merged,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": merged.get("host", "127.0.0.1"),
            "domainPrefix": merged.get("host", "127.0.0.1").split(".")[0],
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex[:16],
            "routeKey": route_key,
            "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if params:
        event["queryStringParameters"] = params
    if raw:
        if _is_text(merged.get("content-type", "")):
            event["body"] = raw.decode("utf-8", "replace")
        else:
            event["body"] = base64.b64encode(raw).decode()
            event["isBase64Encoded"] = True
    return event


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    cookies: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)


def invoke(handler: Handler, event: dict[str, Any], context: Any | None = None) -> HttpResponse:
    """Call `handler` and read its result as an HTTP API would (a handler that raises gives a 500)."""
    try:
        result = handler(event, context or LambdaContext())
    except Exception:
        return HttpResponse(500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
    if not (isinstance(result, Mapping) and "statusCode" in result):  # format 2.0 infers a 200 JSON answer
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, {"content-type": "application/json"}, body.encode())
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name).lower()] = ",".join(str(v) for v in values)
    return HttpResponse(int(result["statusCode"]), headers, raw, list(result.get("cookies") or []))


@dataclass
class Route:
    prefix: str
    handler: Handler
    name: str = "function"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def covers(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix.rstrip("/") + "/")


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY every answer on a kept-alive connection
    # waits for the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        route = next((r for r in self.server.routes if r.covers(split.path)), None)
        if route is None:
            response = HttpResponse(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
        else:
            event = http_api_event(
                self.command,
                split.path,
                headers=list(self.headers.items()),
                body=body,
                query=split.query,
                source_ip=self.client_address[0],
            )
            context = LambdaContext(function_name=route.name, timeout_seconds=self.server.timeout_seconds)
            with route.lock:  # one request at a time per function, as one warm container serves them
                response = invoke(route.handler, event, context)
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        for cookie in response.cookies:
            self.send_header("set-cookie", cookie)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log is not None:
            self.server.access_log(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: list[Route]
    access_log: Callable[[str], None] | None
    timeout_seconds: float


class HttpGateway:
    """Serve `routes` (prefix -> handler) on http://host:port; port 0 picks a free one."""

    def __init__(
        self,
        routes: Sequence[Route],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_log: Callable[[str], None] | None = None,
        timeout_seconds: float = 29.0,
    ) -> None:
        self._server = _Server((host, port), _RequestHandler)
        self._server.routes = list(routes)
        self._server.access_log = access_log
        self._server.timeout_seconds = timeout_seconds  # an HTTP API integration times out after 30 s
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HttpGateway:
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> HttpGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
