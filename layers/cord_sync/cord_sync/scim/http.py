"""HTTP for the SCIM service: an API Gateway HTTP API (payload 2.0) event in, a proxy response out.

Order of checks: body size (413), then the route; /ServiceProviderConfig answers without a token, everything
else needs `Authorization: Bearer <token>` matching SCIM_TOKEN_SECRET_ARN's secret (no secret configured: every
request is refused with 401). Then the method (405), the content type of a body (415: application/scim+json or
application/json) and its JSON (400 invalidSyntax). Every failure is a SCIM Error body, mapped in `error_response`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, unquote

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError
from scim2_models import (
    Error,
    ForbiddenException,
    InvalidSyntaxException,
    NotFoundException,
    NotImplementedException,
    PayloadTooLargeException,
    SCIMException,
    UnauthorizedException,
    UniquenessException,
)

from cord_sync.errors import ConfigurationError, InvalidEventError
from cord_sync.observability import logger, metrics
from cord_sync.publish import PublishError, default_publisher
from cord_sync.scim import resources as rs
from cord_sync.scim.config import load_config
from cord_sync.scim.service import ConcurrentModification, Conditions, Response, ScimService
from cord_sync.scim.store import ItemTooLarge, NameTaken, default_store
from cord_sync.secrets import SharedSecret

MAX_BODY: Final = 1024 * 1024
BASE: Final = "/scim/v2"
TOKEN_ENV: Final = "SCIM_TOKEN_SECRET_ARN"  # noqa: S105 (the variable holding the ARN)
CONTENT_TYPE: Final = "application/scim+json"
JSON_TYPES: Final = ("application/scim+json", "application/json")
CHALLENGE: Final = 'Bearer realm="SCIM"'
THROTTLING: Final = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)

_token = SharedSecret(TOKEN_ENV)


class MethodNotAllowed(SCIMException):
    status = 405
    _default_detail = "Method not allowed"

    def __init__(self, allowed: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allowed = allowed


class UnsupportedMediaType(SCIMException):
    status = 415
    _default_detail = "The request body must be application/scim+json or application/json"


@dataclass
class Request:
    method: str
    segments: list[str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    base_url: str

    def conditions(self) -> Conditions:
        return Conditions(self.headers.get("if-match"), self.headers.get("if-none-match"))

    def json(self) -> Any:
        media = self.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media and media not in JSON_TYPES:
            raise UnsupportedMediaType()
        if not self.body.strip():
            raise InvalidSyntaxException(detail="the request has no body")
        try:
            document = json.loads(self.body)
        except (ValueError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "the body is not valid JSON"
            raise InvalidSyntaxException(detail=f"malformed JSON: {reason}") from None
        try:  # a lone surrogate escape ("\\ud800") parses, but no UTF-8 store or queue can hold it
            json.dumps(document, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise InvalidSyntaxException(detail="malformed JSON: a string holds an unpaired surrogate") from None
        return document


def parse_event(event: dict[str, Any]) -> Request:
    """Read the parts of an HTTP API event the service uses; 413 for a body over MAX_BODY."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    context_http = (event.get("requestContext") or {}).get("http") or {}
    method = str(context_http.get("method") or event.get("httpMethod") or "GET").upper()
    raw_body = event.get("body") or ""
    if len(raw_body) > MAX_BODY * 4 // 3 + 4:
        raise PayloadTooLargeException(detail=f"the request body is over {MAX_BODY} bytes")
    if event.get("isBase64Encoded") and raw_body:
        try:
            body = base64.b64decode(raw_body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSyntaxException(detail="the request body is not valid base64") from None
    else:
        body = raw_body.encode() if isinstance(raw_body, str) else bytes(raw_body)
    if len(body) > MAX_BODY:
        raise PayloadTooLargeException(detail=f"the request body is over {MAX_BODY} bytes")

    path = str(event.get("rawPath") or context_http.get("path") or "/")
    try:
        f"{path}?{event.get('rawQueryString') or ''}".encode()
    except UnicodeEncodeError:  # a lone surrogate: no URL decodes to that
        raise InvalidSyntaxException(detail="the request URL is not valid text") from None
    at = path.lower().find(BASE)
    prefix, rest = (path[: at + len(BASE)], path[at + len(BASE) :]) if at >= 0 else ("", path)
    segments = [unquote(s) for s in rest.split("/") if s]
    if segments and segments[-1].lower().endswith(".scim") and len(segments[-1]) > 5:
        segments[-1] = segments[-1][:-5]  # RFC 7644 §3.8 lets a client ask for SCIM with a ".scim" suffix
    query = dict(parse_qsl(str(event.get("rawQueryString") or ""), keep_blank_values=True))
    host = headers.get("host") or (event.get("requestContext") or {}).get("domainName") or "localhost"
    local = host.split(":")[0] in ("127.0.0.1", "localhost", "::1")
    scheme = headers.get("x-forwarded-proto") or ("http" if local else "https")
    return Request(method, segments, query, headers, body, f"{scheme}://{host}{prefix}")


def authenticate(request: Request) -> None:
    """Bearer token against the secret; fails closed (no secret configured: refused)."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedException(detail="a bearer token is required")
    token = token.strip()
    try:
        token.encode()
    except UnicodeEncodeError:  # a lone surrogate escape in the header: no token is that
        raise UnauthorizedException(detail="the bearer token is not valid") from None
    try:
        ok = _token.matches(token)
    except ConfigurationError as exc:
        logger.error("SCIM requests refused: no usable token secret", extra={"reason": str(exc)})
        raise UnauthorizedException(detail="authentication is not configured") from None
    if not ok:
        raise UnauthorizedException(detail="the bearer token is not valid")


def _service() -> ScimService:
    return ScimService(default_store(), default_publisher(), load_config())


def _json(body: dict[str, Any] | None) -> Response:
    return Response(200, body)


def _discovery(request: Request) -> Response:
    name = request.segments[0].lower()
    if "filter" in request.query:
        raise ForbiddenException(detail="discovery endpoints do not support filtering")
    if name == "serviceproviderconfig" and len(request.segments) == 1:
        return _json(rs.service_provider_config(request.base_url))
    if name == "resourcetypes":
        if len(request.segments) == 1:
            return _json(rs.resource_types(request.base_url))
        found = rs.resource_type(request.base_url, request.segments[1])
    else:
        if len(request.segments) == 1:
            return _json(rs.schemas(request.base_url))
        found = rs.schema(request.base_url, request.segments[1])
    if found is None or len(request.segments) > 2:
        raise NotFoundException(detail=f"{'/'.join(request.segments)} not found")
    return _json(found)


def _search_body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="a search request must be a JSON object")
    return body


def _root(request: Request) -> Response:
    """GET / or POST /.search: a search over Users and Groups together."""
    query = request.query if request.method == "GET" else _search_body(request)
    return _service().search(("User", "Group"), request.base_url, query)


def _resources(request: Request) -> Response:
    kind = "User" if request.segments[0].lower() == "users" else "Group"
    service = _service()
    method, segments = request.method, request.segments
    if len(segments) == 1:
        if method == "GET":
            return service.search((kind,), request.base_url, request.query)
        return service.create(kind, request.json(), request.base_url)
    if segments[1] == ".search":
        return service.search((kind,), request.base_url, _search_body(request))
    resource_id, conditions = segments[1], request.conditions()
    if method == "GET":
        return service.get(kind, resource_id, request.base_url, request.query, conditions)
    if method == "PUT":
        return service.replace(kind, resource_id, request.json(), request.base_url, request.query, conditions)
    if method == "PATCH":
        return service.patch(kind, resource_id, request.json(), request.base_url, request.query, conditions)
    return service.delete(kind, resource_id, conditions)


def _not_implemented(request: Request) -> Response:
    raise NotImplementedException(detail=f"/{request.segments[0]} is not supported")


Route = tuple[tuple[str, ...], Callable[[Request], Response]]


def _route(request: Request) -> tuple[Route, bool]:
    """(allowed methods, action) for the path, and whether it needs a token."""
    segments = request.segments
    first = segments[0].lower() if segments else ""
    if not segments:
        return (("GET",), _root), True
    if first == ".search" and len(segments) == 1:
        return (("POST",), _root), True
    if first == "serviceproviderconfig" and len(segments) == 1:
        return (("GET",), _discovery), False
    if first in ("resourcetypes", "schemas") and len(segments) <= 2:
        return (("GET",), _discovery), True
    if first in ("users", "groups"):
        if len(segments) == 1:
            return (("GET", "POST"), _resources), True
        if len(segments) == 2 and segments[1] == ".search":
            return (("POST",), _resources), True
        if len(segments) == 2:
            return (("GET", "PUT", "PATCH", "DELETE"), _resources), True
    if first in ("bulk", "me") and len(segments) <= 2:
        return (("GET", "POST", "PUT", "PATCH", "DELETE"), _not_implemented), True
    return ((), _not_found), True


def _not_found(request: Request) -> Response:
    raise NotFoundException(detail=f"no such endpoint: /{'/'.join(request.segments)}")


def dispatch(request: Request) -> Response:
    (allowed, action), needs_token = _route(request)
    if needs_token:
        authenticate(request)
    if allowed and request.method not in allowed:
        raise MethodNotAllowed(allowed, detail=f"{request.method} is not allowed here")
    return action(request)


def error_response(exc: BaseException) -> Response:
    """The one table from exceptions to SCIM error responses."""
    headers: dict[str, str] = {}
    if isinstance(exc, SCIMException):
        error = exc.to_error()
        if isinstance(exc, UnauthorizedException):
            headers["WWW-Authenticate"] = CHALLENGE
        if isinstance(exc, MethodNotAllowed):
            headers["Allow"] = ", ".join(exc.allowed)
    elif isinstance(exc, NameTaken):
        error = UniquenessException(detail="userName or displayName is already taken").to_error()
    elif isinstance(exc, ConcurrentModification):
        error = Error(status=409, detail=str(exc))
    elif isinstance(exc, ItemTooLarge):
        error = Error(status=413, detail="the resource is too large to store (DynamoDB items hold 400 KB)")
    elif isinstance(exc, ConfigurationError):
        logger.error("SCIM service misconfigured", extra={"reason": str(exc)})
        error = Error(status=503, detail=f"the service is misconfigured: {exc}")
    elif isinstance(exc, PublishError):
        logger.error("SCIM change stored but not queued", extra={"reason": str(exc)})
        error = Error(status=503, detail="the change was stored but could not be queued for Cord; retry")
        headers["Retry-After"] = "5"
    elif isinstance(exc, BotoCoreError):  # DynamoDB unreachable or too slow (connection refused, timeouts)
        logger.warning("SCIM store unreachable", extra={"error": type(exc).__name__})
        error = Error(status=503, detail="the service is busy; retry")
        headers["Retry-After"] = "2"
    elif _client_error_code(exc) in THROTTLING:
        logger.warning("SCIM store throttled", extra={"code": _client_error_code(exc)})
        error = Error(status=503, detail="the service is busy; retry")
        headers["Retry-After"] = "2"
    else:
        if isinstance(exc, InvalidEventError):
            logger.error("SCIM mapping produced an invalid event", extra={"reason": exc.reason})
        else:
            logger.exception("SCIM request failed")
        error = Error(status=500, detail="internal error")
    return Response(int(error.status or 500), error.model_dump(), headers)


def _client_error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def to_proxy(response: Response) -> dict[str, Any]:
    headers = dict(response.headers)
    result: dict[str, Any] = {"statusCode": response.status, "headers": headers}
    if response.body is not None:
        headers["Content-Type"] = CONTENT_TYPE
        result["body"] = json.dumps(response.body, separators=(",", ":"), ensure_ascii=False)
    else:
        result["body"] = ""
    return result


def handle(event: dict[str, Any]) -> dict[str, Any]:
    """Serve one HTTP API event; never raises. Counts ScimRequests, ScimClientErrors and ScimServerErrors."""
    try:
        request = parse_event(event)
        response = dispatch(request)
    except Exception as exc:
        response = error_response(exc)
    metrics.add_metric(name="ScimRequests", unit=MetricUnit.Count, value=1)
    if response.status >= 500:
        metrics.add_metric(name="ScimServerErrors", unit=MetricUnit.Count, value=1)
    elif response.status >= 400:
        metrics.add_metric(name="ScimClientErrors", unit=MetricUnit.Count, value=1)
    logger.debug("SCIM request served", extra={"status": response.status})
    return to_proxy(response)
