"""The emulated Cord server without HTTP: applications, sessions, authentication, routing, JSON bodies.

:class:`Core` turns ``(method, path, query, headers, raw body)`` into a :class:`Reply`. The HTTP layer in
``server.py`` only moves bytes, so everything Cord-specific (check order, error codes, messages) lives here
and in ``store.py``; what differs between the emulated eras is looked up in ``era.py``. One lock guards all
mutable state; JWT work happens outside it.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, unquote

from cord_emulator import js, store, tokens
from cord_emulator.era import DEFAULT_ERA, Era, era_named
from cord_emulator.errors import ApiError, ServerCrash
from cord_emulator.validation import (
    check_jwt_string,
    has_bad_percent_escape,
    is_jwt_shaped,
    is_valid_external_id,
    validate_input,
)

BODY_LIMIT = 10 * 1024 * 1024  # express.json({limit: '10mb'})
CLOCK_TOLERANCE = 30
SESSION_TTL = 24 * 3600
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
CORS_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


class AuthKind(StrEnum):
    """How a request authenticated (the values are what the request log shows)."""

    ACCESS = "access_token"
    SERVER = "server_token"


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and _UUID.match(value) is not None


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(slots=True)
class App:
    """A Cord application (project): its id and the shared secret that signs its tokens."""

    app_id: str
    secret: str
    key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.key = self.secret.encode("utf-8")


@dataclass(slots=True)
class Session:
    app_id: str
    expires_at: float
    revoked: bool = False


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str | None = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    auth: str | None = None
    app_id: str | None = None


def json_reply(status: int, value: Any) -> Reply:
    return Reply(status, json_bytes(value))


def error_reply(error: ApiError) -> Reply:
    return Reply(error.status, json_bytes(error.body()), error=error.code)


def internal_error_reply() -> Reply:
    return Reply(500, json_bytes({"error": "error", "message": "internal server error"}), error="error")


def not_found_reply(method: str, path: str) -> Reply:
    """Express's default 404 page for an unmatched route."""
    text = path.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
        f"</head>\n<body>\n<pre>Cannot {method} {text}</pre>\n</body>\n</html>\n"
    )
    return Reply(404, page.encode("utf-8"), content_type=HTML_TYPE)


# -- JSON bodies -------------------------------------------------------------------------------------------

_WHITESPACE = " \t\n\r"


class _ConstantError(ValueError):
    """Python's parser accepts ``NaN``/``Infinity``; JSON.parse does not."""


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


def _constant_position(text: str) -> int:
    """Where the first ``NaN``/``Infinity`` outside a string starts (the character V8 complains about)."""
    in_string = escaped = False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "NI":
            return position
    return len(text)


def _syntax_message(text: str, position: int) -> str:
    """A V8-style ``JSON.parse`` message, as Node 16 (the era's runtime) words it."""
    if position >= len(text.rstrip(_WHITESPACE)):
        return "Unexpected end of JSON input"
    return f"Unexpected token {text[position]} in JSON at position {position}"


def parse_body(content_type: str | None, raw: bytes | None) -> Any:
    """``express.json`` semantics: only ``application/json`` is parsed; others and empty bodies become ``{}``.

    ``raw`` is ``None`` when the body was over the limit.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return {}
    if raw is None:
        raise ApiError("invalid_request", "request entity too large")
    if not raw:
        return {}
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    stripped = text.lstrip(_WHITESPACE)
    if stripped and stripped[0] not in "{[":  # strict mode: objects and arrays only
        raise ApiError("invalid_request", _syntax_message(text, len(text) - len(stripped)))
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ApiError("invalid_request", _syntax_message(text, exc.pos)) from None
    except _ConstantError:
        raise ApiError("invalid_request", _syntax_message(text, _constant_position(text))) from None
    except (ValueError, RecursionError):
        raise ApiError("invalid_request", "Unexpected token in JSON") from None


# -- routing -----------------------------------------------------------------------------------------------

Handler = Callable[["Core", "Request"], Reply]


@dataclass(slots=True)
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    query: store.Query = field(default_factory=dict)
    app_id: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    authenticated: bool = True
    since: str = "2022"  # the first era that has the route (era names sort chronologically)


def _route(method: str, template: str, handler: Handler, *, authenticated: bool = True, since: str = "2022") -> Route:
    regex = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}/?$", re.IGNORECASE), handler, authenticated, since)


def _decode_params(groups: Mapping[str, str]) -> dict[str, str]:
    params = {}
    for name, raw in groups.items():
        try:
            if has_bad_percent_escape(raw):
                raise ValueError(raw)
            params[name] = unquote(raw, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise ApiError("invalid_request", f"Failed to decode param '{raw}'") from None
    return params


def _path_id(request: Request, name: str, *, error: str) -> str:
    """Apply the path identifier rule: ``invalid_field`` on writes, ``invalid_request`` on reads."""
    value = request.params[name]
    if not is_valid_external_id(value):
        if error == "invalid_field":
            raise ApiError("invalid_field", f"Input type for {name} is not valid, expected identifier.")
        raise ApiError("invalid_request")
    return value


# -- the core ----------------------------------------------------------------------------------------------


class Core:
    """Applications, their data, sessions, and the request pipeline after the body has been read."""

    def __init__(
        self, *, era: str = DEFAULT_ERA, max_token_age: int | None = None, access_token_ttl: float = SESSION_TTL
    ) -> None:
        self.era: Era = era_named(era)
        self.routes = tuple(route for route in ROUTES if route.since <= self.era.name)
        self.lock = threading.RLock()
        self.max_token_age = self.era.max_token_age if max_token_age is None else max_token_age
        self.access_token_ttl = access_token_ttl
        self.signing_secret = secrets.token_hex(32)
        self._signing_key = self.signing_secret.encode("ascii")
        self.apps: dict[str, App] = {}
        self.tenants: dict[str, store.Tenant] = {}
        self.sessions: dict[str, Session] = {}

    # -- administration (used by CordEmulator) --

    def add_app(self, app_id: str | None = None, secret: str | None = None) -> App:
        app_id = (app_id or str(uuid.uuid4())).lower()
        if not is_uuid(app_id):
            raise ValueError(f"app_id must be a UUID, got {app_id!r}")
        app = App(app_id, secret if secret is not None else secrets.token_hex(32))
        with self.lock:
            if app_id in self.apps:
                raise ValueError(f"application {app_id} already exists")
            self.apps[app_id] = app
            self.tenants[app_id] = store.Tenant()
        return app

    def tenant(self, app_id: str | None) -> store.Tenant:
        """The data of ``app_id``, or of the application added last when ``None``."""
        with self.lock:
            if app_id is None:
                if not self.apps:
                    raise LookupError("no application has been added")
                app_id = next(reversed(self.apps))
            try:
                return self.tenants[app_id.lower()]
            except KeyError:
                raise LookupError(f"unknown application {app_id}") from None

    def reset(self) -> None:
        with self.lock:
            for tenant in self.tenants.values():
                tenant.clear()
            self.sessions.clear()

    def revoke_sessions(self) -> int:
        with self.lock:
            for session in self.sessions.values():
                session.revoked = True
            return len(self.sessions)

    def expire_sessions(self) -> int:
        past = time.time() - 1
        with self.lock:
            for session in self.sessions.values():
                session.expires_at = min(session.expires_at, past)
            return len(self.sessions)

    # -- the request pipeline --

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], raw_body: bytes | None, query: str = ""
    ) -> Reply:
        """Answer one request; ``headers`` keys are lower-case; ``raw_body`` is ``None`` when over the limit."""
        kind: AuthKind | None = None
        app_id: str | None = None
        try:
            if method == "OPTIONS" and path.lower().startswith("/v1"):
                return self._preflight(headers)
            body = parse_body(headers.get("content-type"), raw_body)
            route, match = self._match(method, path)
            if route is None or match is None:
                return not_found_reply(method, path)
            params = _decode_params(match.groupdict())
            request = Request(method, path, params, body, parse_qs(query, keep_blank_values=True))
            if route.authenticated:
                app_id, kind = self.authenticate(headers.get("authorization"))
                request.app_id = app_id
            reply = route.handler(self, request)
        except ApiError as exc:
            reply = error_reply(self.era.present(exc))
        except ServerCrash:
            reply = internal_error_reply()
        reply.auth = str(kind) if kind else None
        reply.app_id = app_id
        return reply

    def _match(self, method: str, path: str) -> tuple[Route | None, re.Match[str] | None]:
        lookup = "GET" if method == "HEAD" else method
        for route in self.routes:
            if route.method == lookup:
                match = route.pattern.match(path)
                if match:
                    return route, match
        return None, None

    @staticmethod
    def _preflight(headers: Mapping[str, str]) -> Reply:
        extra = [("Access-Control-Allow-Methods", CORS_METHODS), ("Vary", "Access-Control-Request-Headers")]
        requested = headers.get("access-control-request-headers")
        if requested:
            extra.append(("Access-Control-Allow-Headers", requested))
        return Reply(204, b"", content_type=None, headers=extra)

    # -- authentication --

    def authorize(self, body: Any) -> dict[str, str]:
        """``POST /v1/authorize``: exchange a signed app token for a 24 h access token (cord-api.md §2.1)."""
        validate_input(body, required={"signed_app_token": check_jwt_string})
        token = tokens.decode(body["signed_app_token"])
        payload = token.payload
        if not tokens.is_object(payload):
            raise ApiError(
                "invalid_app_token", "Input type for signed_app_token payload is not valid, expected object."
            )
        claims = token.claims
        app_id = claims.get("app_id")
        if tokens.is_js_falsy(app_id):
            raise ApiError("invalid_app_token", "signed_app_token payload is missing app_id.")
        if not is_uuid(app_id):
            raise ApiError("invalid_app_token", "Input type for app_id is not valid, expected UUID.")
        if "user_id" in claims or "org_id" in claims:
            raise ApiError("invalid_app_token", "signed_app_token payload invalid, must contain only app_id")
        app = self._app(app_id)
        self._verify_app_token(token, app)

        now = time.time()
        session_id = str(uuid.uuid4())
        expires_at = now + SESSION_TTL
        with self.lock:
            self.sessions[session_id] = Session(app.app_id, expires_at)
        issued = int(now)
        access_token = tokens.sign(
            {"session_id": session_id, "iat": issued, "exp": int(now + self.access_token_ttl)},
            self.signing_secret,
        )
        return {"access_token": access_token, "expires": js.iso_date(expires_at)}

    def authenticate(self, header: str | None) -> tuple[str, AuthKind]:
        """The ``VerifyAppServerAuthToken`` middleware: returns ``(app_id, kind)`` or raises (§2.2)."""
        if not header:
            raise ApiError("missing_authorization_header", "Authorization header bearer token must be present.")
        if not header.startswith("Bearer"):
            raise ApiError("invalid_authorization_header", "Expecting a token with a Bearer prefix.")
        bearer = header.replace("Bearer ", "", 1).strip()
        if not is_jwt_shaped(bearer):
            raise ApiError(
                "invalid_authorization_header",
                "Input type for authorization header bearer token is not valid, expected JWT.",
            )
        token = tokens.decode(bearer)
        now = int(time.time())
        if tokens.verification_error(token, self._signing_key, now=now) is None:
            return self._session_app(token), AuthKind.ACCESS
        return self._server_token_app(token), AuthKind.SERVER

    def _session_app(self, token: tokens.DecodedToken) -> str:
        if not tokens.is_object(token.payload):
            raise ApiError("invalid_access_token", "Input type for access token payload is not valid, expected object.")
        session_id = token.claims.get("session_id")
        if tokens.is_js_falsy(session_id):
            raise ApiError("invalid_access_token", "Access token payload is missing session_id.")
        if not is_uuid(session_id):
            raise ApiError("invalid_access_token", "Input type for session_id is not valid, expected UUID.")
        with self.lock:
            session = self.sessions.get(session_id.lower())
            if session is None:
                raise ApiError("invalid_access_token", "No valid session found.")
            if session.revoked:
                raise ApiError("expired_access_token", "Access token has been revoked.")
            if time.time() > session.expires_at:
                raise ApiError("expired_access_token", "Access token has expired.")
            if session.app_id not in self.apps:
                raise ApiError("application_not_found")
            return session.app_id

    def _server_token_app(self, token: tokens.DecodedToken) -> str:
        if not tokens.is_object(token.payload):
            raise ApiError("invalid_app_token", "Input type for Authorization token is not valid, expected object.")
        claims = token.claims
        names, label = self.era.server_token_claims, self.era.server_token_label
        app_id = next((claims[name] for name in names if not tokens.is_js_falsy(claims.get(name))), None)
        if app_id is None:
            raise ApiError(
                "invalid_app_token",
                f"Please include the {label} if you are authorizing directly with a non-Cord signed token.",
            )
        if not is_uuid(app_id):
            raise ApiError("invalid_app_token", f"Input type for {label} is not valid, expected UUID.")
        if not claims.keys() <= {*names, "iat", "exp"}:
            raise ApiError("invalid_app_token", f"Authorization token payload invalid, must contain only {label}.")
        app = self._app(app_id)
        self._verify_app_token(token, app)
        return app.app_id

    def _app(self, app_id: str) -> App:
        with self.lock:
            app = self.apps.get(app_id.lower())
        if app is None:
            raise ApiError("application_not_found")
        return app

    def _verify_app_token(self, token: tokens.DecodedToken, app: App) -> None:
        problem = tokens.verification_error(
            token, app.key, now=int(time.time()), clock_tolerance=CLOCK_TOLERANCE, max_age=self.max_token_age
        )
        if problem is not None:
            raise ApiError("invalid_app_token", problem)

    # -- endpoint handlers --

    def read(self, request: Request, operation: Callable[[store.Tenant], Any]) -> Reply:
        """Run ``operation`` on the caller's data under the lock and answer its result as JSON."""
        assert request.app_id is not None
        with self.lock:
            return json_reply(200, operation(self.tenants[request.app_id]))

    def write(self, request: Request, operation: Callable[[store.Tenant], str], status: int = 200) -> Reply:
        """Run a write under the lock; it returns the final server's success message, the era shapes the body."""
        assert request.app_id is not None
        with self.lock:
            message = operation(self.tenants[request.app_id])
        return json_reply(status, self.era.success(message))


def _authorize(core: Core, request: Request) -> Reply:
    return json_reply(200, core.authorize(request.body))


def _put_user(core: Core, request: Request) -> Reply:
    user_id = _path_id(request, "userID", error="invalid_field")
    return core.write(request, lambda tenant: store.put_user(core.era, tenant, user_id, request.body))


def _create_user(core: Core, request: Request) -> Reply:
    return core.write(request, lambda tenant: store.create_user(core.era, tenant, request.body), status=201)


def _get_user(core: Core, request: Request) -> Reply:
    user_id = _path_id(request, "userID", error="invalid_request")
    return core.read(request, lambda tenant: store.get_user(core.era, tenant, user_id))


def _list_users(core: Core, request: Request) -> Reply:
    return core.read(request, lambda tenant: core.era.user_list(store.list_users(tenant), request.query))


def _delete_user(core: Core, request: Request) -> Reply:
    core.era.inputs.delete_user(request.body)  # the body is checked before the path id
    user_id = _path_id(request, "userID", error="invalid_field")
    return core.read(request, lambda tenant: store.delete_user(tenant, user_id))


def _put_organization(core: Core, request: Request) -> Reply:
    org_id = _path_id(request, "orgID", error="invalid_field")
    return core.write(request, lambda tenant: store.put_organization(core.era, tenant, org_id, request.body))


def _create_organization(core: Core, request: Request) -> Reply:
    return core.write(request, lambda tenant: store.create_organization(core.era, tenant, request.body), status=201)


def _get_organization(core: Core, request: Request) -> Reply:
    org_id = _path_id(request, "orgID", error="invalid_request")
    return core.read(request, lambda tenant: store.get_organization(core.era, tenant, org_id))


def _list_organizations(core: Core, request: Request) -> Reply:
    return core.read(request, lambda tenant: store.list_organizations(core.era, tenant))


def _delete_organization(core: Core, request: Request) -> Reply:
    org_id = _path_id(request, "orgID", error="invalid_field")
    return core.write(request, lambda tenant: store.delete_organization(tenant, org_id))


def _update_members(core: Core, request: Request) -> Reply:
    org_id = request.params["orgID"]  # not validated: an odd id is simply not found
    return core.write(request, lambda tenant: store.update_members(core.era, tenant, org_id, request.body))


def _list_members(core: Core, request: Request) -> Reply:
    org_id = _path_id(request, "orgID", error="invalid_request")
    return core.read(request, lambda tenant: store.list_group_members(tenant, org_id, request.query))


def _batch(core: Core, request: Request) -> Reply:
    return core.write(request, lambda tenant: store.batch(core.era, tenant, request.body))


# Express matches in this order; a route exists from the era named in ``since`` on (no POST /v1/groups ever).
ROUTES: tuple[Route, ...] = (
    _route("POST", "/v1/authorize", _authorize, authenticated=False),
    _route("GET", "/v1/organizations", _list_organizations),
    _route("GET", "/v1/organizations/:orgID", _get_organization),
    _route("POST", "/v1/organizations", _create_organization),
    _route("PUT", "/v1/organizations/:orgID", _put_organization),
    _route("DELETE", "/v1/organizations/:orgID", _delete_organization, since="2024"),
    _route("POST", "/v1/organizations/:orgID/members", _update_members),
    _route("GET", "/v1/groups", _list_organizations, since="2024"),
    _route("GET", "/v1/groups/:orgID", _get_organization, since="2024"),
    _route("PUT", "/v1/groups/:orgID", _put_organization, since="2024"),
    _route("DELETE", "/v1/groups/:orgID", _delete_organization, since="2024"),
    _route("GET", "/v1/groups/:orgID/members", _list_members, since="2024"),
    _route("POST", "/v1/groups/:orgID/members", _update_members, since="2024"),
    _route("GET", "/v1/users", _list_users),
    _route("GET", "/v1/users/:userID", _get_user),
    _route("POST", "/v1/users", _create_user),
    _route("PUT", "/v1/users/:userID", _put_user),
    _route("DELETE", "/v1/users/:userID", _delete_user, since="2024"),
    _route("POST", "/v1/batch", _batch),
)
