"""Auth0 on EventBridge as canonical change events: Log Streams and Event Streams.

**Log Streams** (idp-payloads §2.1). The EventBridge envelope has `detail-type` "Auth0 log" and a `source`
starting with "aws.partner/auth0.com/"; the tenant log entry sits NESTED under `detail.data`, next to
`detail.log_id`. The canonical id is the `log_id` (Auth0's dedupe key), the time is `data.date`.

    ss     successful signup             user.upsert (data.user_id; email from details.body or user_name)
    sapi   Management API write, only:   (classified by details.request.method + path, 2xx only)
             POST   /api/v2/users        user.upsert from details.response.body (the created user)
             PATCH  /api/v2/users/{id}   user.upsert from the response body (the updated user) over the
                                         request body; `blocked` becomes status deleted / active
             DELETE /api/v2/users/{id}   user.deactivate
    du     deleted user                  user.deactivate (data.user_id)
    sce    email changed                 user.upsert with the new email
    scu    username changed              user.upsert (Cord has no username: refreshes the email)

In a `sapi` entry `data.user_id` is the administrator who made the call, never the user concerned: the user
comes from the path (URL-decoded) or the response body.

**Event Streams** (idp-payloads §2.2): CloudEvents 1.0, `id` `evt_…` (dedupe key), `time` (ordering key),
the object in `data.object`. Test deliveries (`a0purpose` "test") are ignored.

    user.created / user.updated          user.upsert (email, name, given_name as short_name, picture)
    user.deleted                         user.deactivate
    organization.created / .updated      organization.upsert (name = display_name, else name)
    organization.deleted                 organization.deactivate
    organization.member.added            [user.upsert "<id>#user" when the user object has an email]
                                         organization.members.add
    organization.member.deleted          organization.members.remove

The member events carry only the organization's `id` and `name`, not its display name, so no
organization.upsert precedes an addition: it would rename the Cord organization to Auth0's `name` on every
membership change. Cord must know the organization (from organization.created) or the addition fails and
is retried by Lambda, which also covers an addition that overtakes its organization's creation.

Ids. The Cord user id is Auth0's `user_id` (e.g. "auth0|64f…", "google-oauth2|…"): the id an application
using Auth0 has in its session and signs into Cord client tokens. The Cord organization id is chosen by
AUTH0_ORGANIZATION_ID_SOURCE: `id` (the Auth0 organization id "org_…", default) or `name`.

Email. Cord needs an email to create a user, and Auth0 users need not have one (phone or username
connections). A user event without a usable email is therefore not an error: it maps to nothing and the
reason is logged (retrying could not help, and a dead-letter queue full of them would hide real failures).
A relevant event that lacks what identifies it (user id, log id, time, organization id) raises
InvalidEventError.

Shapes verified, and where:
- Log Stream envelope with the nested `detail.data`: this-andy/thiscovery-core
  `api/tests/test_data/auth0_test_events.py` (a real delivery captured for tests), a zenn.dev article's
  preview of a delivery (`detail-type` "Auth0 log", `detail.log_id`, `detail.data.type` "sapi"), and
  https://auth0.com/docs/customize/log-streams/stream-logs-to-amazon-eventbridge.
- `sapi` details (`request.method` lower case, `request.path`, `request.body`, `response.statusCode`,
  `response.body`): panther-labs/panther-analysis Auth0 rule tests (real entries), auth0/docs
  tenant-logs/management-success/sapi ("only emitted on POST, DELETE, PATCH, and PUT"), and the method +
  path classification of cisco-sbgidm/idp-hook-updates `auth0/common/src/Auth0Hooks.ts` (2xx only).
- Log codes: https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes. `ss`, `du`, `sce`, `scu`:
  only the common fields (`user_id`, `user_name`, `details` as an object) are documented; where the new
  email sits in `sce` is not, so the first usable email of `details.body.email`, `details.email` and
  `user_name` is taken.
- CloudEvents: the `user.created` sample in https://auth0.com/docs/deploy-monitor/events/
  event-testing-observability-and-failure-recovery (`data.object` with `user_id`, `email`, `name`,
  `picture`, `a0tenant`, `a0stream`); https://auth0.com/docs/events/organization/organization.member.added;
  Node SDK interfaces EventStreamCloudEventOrgMemberAddedObject (`organization{id, name?}`,
  `user{user_id, …}`) and EventStreamCloudEventOrgCreatedObject (`id`, `name?`, `display_name?`).
- NOT verified: how an Event Stream's EventBridge delivery wraps the CloudEvent. Taken to be the whole
  CloudEvent as `detail` (source "aws.partner/auth0.com/…"); recognised by `detail.specversion` and
  `detail.type`, never by `detail-type`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

from cord_sync.adapters.common import MAX_EVENT_ID, clip, normalize_time, text
from cord_sync.errors import ConfigurationError, InvalidEventError
from cord_sync.model import (
    MEMBERS_ADD,
    MEMBERS_REMOVE,
    ORG_DEACTIVATE,
    ORG_UPSERT,
    USER_DEACTIVATE,
    USER_UPSERT,
    parse_event,
    usable_email,
)
from cord_sync.observability import logger

SOURCE: Final = "auth0"
SOURCE_PREFIX: Final = "aws.partner/auth0.com/"
LOG_DETAIL_TYPE: Final = "Auth0 log"
ORGANIZATION_ID_SOURCE_ENV: Final = "AUTH0_ORGANIZATION_ID_SOURCE"
ORGANIZATION_ID_SOURCES: Final = ("id", "name")

SIGNUP: Final = "ss"
MANAGEMENT_API: Final = "sapi"
DELETED_USER: Final = "du"
EMAIL_CHANGED: Final = "sce"
USERNAME_CHANGED: Final = "scu"
LOG_TYPES: tuple[str, ...] = (SIGNUP, MANAGEMENT_API, DELETED_USER, EMAIL_CHANGED, USERNAME_CHANGED)
USERS_PATH: Final = "/api/v2/users"  # the path prefix of every sapi entry that can concern a user

USER_CREATED: Final = "user.created"
USER_UPDATED: Final = "user.updated"
USER_DELETED: Final = "user.deleted"
ORG_CREATED: Final = "organization.created"
ORG_UPDATED: Final = "organization.updated"
ORG_DELETED: Final = "organization.deleted"
MEMBER_ADDED: Final = "organization.member.added"
MEMBER_DELETED: Final = "organization.member.deleted"
EVENT_STREAM_TYPES: tuple[str, ...] = (
    USER_CREATED,
    USER_UPDATED,
    USER_DELETED,
    ORG_CREATED,
    ORG_UPDATED,
    ORG_DELETED,
    MEMBER_ADDED,
    MEMBER_DELETED,
)

# Auth0's event-type reference shows `com.auth0.user.<event>` in its example CloudEvent while its Management API
# schema and SDKs name the types `user.created`: both spellings are read (and routed by the rule) as one.
TYPE_PREFIX: Final = "com.auth0."
EVENT_STREAM_TYPE_NAMES: tuple[str, ...] = (*EVENT_STREAM_TYPES, *(TYPE_PREFIX + t for t in EVENT_STREAM_TYPES))


def event_stream_type(value: Any) -> str:
    """A CloudEvent `type` without the optional `com.auth0.` prefix."""
    name = str(value)
    return name[len(TYPE_PREFIX) :] if name.startswith(TYPE_PREFIX) else name


_USER_PATH = re.compile(r"^/api/v2/users/([^/?#]+)$")


@dataclass(frozen=True)
class Auth0Mapping:
    """Which Auth0 attribute becomes the Cord organization id (users are always keyed by `user_id`)."""

    organization_id_source: str = "id"  # "id" (org_...) or "name"

    def __post_init__(self) -> None:
        if self.organization_id_source not in ORGANIZATION_ID_SOURCES:
            raise ConfigurationError(
                f"{ORGANIZATION_ID_SOURCE_ENV} must be one of {', '.join(ORGANIZATION_ID_SOURCES)}, "
                f"not {self.organization_id_source!r}"
            )

    @classmethod
    def from_env(cls) -> Auth0Mapping:
        """Read AUTH0_ORGANIZATION_ID_SOURCE (case-insensitive, default "id")."""
        return cls(organization_id_source=os.environ.get(ORGANIZATION_ID_SOURCE_ENV, "").strip().lower() or "id")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _picture(value: Any) -> str | None:
    url = text(value)
    return url if url and url.lower().startswith(("https://", "http://")) and " " not in url else None


class _Changes:
    """Builds the canonical events of one Auth0 event; every event is validated as it is made."""

    def __init__(self, what: str, event_id: Any, time: Any, event_type: str) -> None:
        self.what = what
        self.type = event_type
        event_id = text(event_id)
        if event_id is None:
            raise InvalidEventError(f"{what} ({event_type}) has no id")
        if len(event_id) > MAX_EVENT_ID:  # never echoed: it would fill the logs
            raise InvalidEventError(f"{what} ({event_type}) has an id longer than {MAX_EVENT_ID} characters")
        self.id = event_id
        try:
            self.time = normalize_time(time)
        except ValueError:
            raise self.invalid(f"has no ISO 8601 time ({clip(time)})") from None

    def invalid(self, reason: str) -> InvalidEventError:
        return InvalidEventError(f"{self.what} {self.id} ({self.type}) {reason}")

    def skip(self, reason: str) -> list[dict]:
        logger.info(f"{self.what} skipped: {reason}", extra={"auth0_id": self.id, "auth0_type": self.type})
        return []

    def change(self, type_: str, data: Mapping[str, Any], suffix: str = "") -> dict:
        event = {"type": type_, "id": self.id + suffix, "time": self.time, "source": SOURCE, "data": dict(data)}
        try:
            parse_event(event)
        except InvalidEventError as exc:
            raise self.invalid(f"maps to an invalid {type_}: {exc.reason}") from None
        return event

    def user_upsert(self, user_id: str, profile: Mapping[str, Any], *, email: str | None = None, suffix="") -> list:
        """A user.upsert from an Auth0 user object (or the fields known of it); [] (logged) without an email."""
        email = email or usable_email(profile.get("email"))
        if email is None:
            return self.skip("the user has no usable email, which Cord needs to create a user")
        data: dict[str, Any] = {"id": user_id, "email": email}
        for key, field in (("name", "name"), ("short_name", "given_name")):
            if value := text(profile.get(field)):
                data[key] = value
        if picture := _picture(profile.get("picture")):
            data["profile_picture_url"] = picture
        if isinstance(profile.get("blocked"), bool):
            data["status"] = "deleted" if profile["blocked"] else "active"
        return [self.change(USER_UPSERT, data, suffix)]


# -- Log Streams ----------------------------------------------------------------------------------------
def events_from_log(detail: Mapping[str, Any]) -> list[dict]:
    """Canonical change events for one Auth0 Log Stream delivery's `detail` ({log_id, data}).

    [] when the log code or the Management API call is not one cord-sync acts on (or lacks an email);
    raises InvalidEventError when a relevant entry is malformed. Log entries name no organizations, so no
    id mapping is needed.
    """
    if not isinstance(detail, Mapping) or not isinstance(detail.get("data"), Mapping):
        raise InvalidEventError("an Auth0 log event must carry the log entry as an object in detail.data")
    data = detail["data"]
    code = data.get("type")
    if code not in LOG_TYPES:
        return []
    changes = _Changes("Auth0 log", detail.get("log_id") or data.get("log_id"), data.get("date"), code)
    details = _mapping(data.get("details"))
    if code == MANAGEMENT_API:
        return _management_api(changes, details)
    user_id = text(data.get("user_id"))
    if user_id is None:
        raise changes.invalid("has no user_id")
    if code == DELETED_USER:
        return [changes.change(USER_DEACTIVATE, {"id": user_id})]
    body = _mapping(details.get("body"))
    email = usable_email(body.get("email")) or usable_email(details.get("email")) or usable_email(data.get("user_name"))
    return changes.user_upsert(user_id, body, email=email)


def _management_api(changes: _Changes, details: Mapping[str, Any]) -> list[dict]:
    request, response = _mapping(details.get("request")), _mapping(details.get("response"))
    method, path = text(request.get("method")), text(request.get("path"))
    if method is None or path is None:
        raise changes.invalid("has no details.request.method and path")
    method, path = method.upper(), path.split("?", 1)[0].rstrip("/")
    status = response.get("statusCode")
    if status is not None and not (isinstance(status, int) and 200 <= status < 300):
        return changes.skip(f"the Management API call ({method}) answered {status}")
    response_body, request_body = _mapping(response.get("body")), _mapping(request.get("body"))
    if method == "POST" and path == USERS_PATH:
        user_id = text(response_body.get("user_id"))
        if user_id is None:
            raise changes.invalid("creates a user but its response body has no user_id")
        return changes.user_upsert(user_id, response_body)
    match = _USER_PATH.match(path)
    if match is None or method not in ("PATCH", "DELETE"):
        return changes.skip(f"the Management API call ({method}) does not create, update or delete a user")
    user_id = unquote(match.group(1))
    if method == "DELETE":
        return [changes.change(USER_DEACTIVATE, {"id": user_id})]
    profile = {**request_body, **response_body}
    if profile.get("blocked") is True and usable_email(profile.get("email")) is None:
        return [changes.change(USER_DEACTIVATE, {"id": user_id})]
    return changes.user_upsert(user_id, profile)


# -- Event Streams --------------------------------------------------------------------------------------
def events_from_cloud_event(cloud_event: Mapping[str, Any], mapping: Auth0Mapping) -> list[dict]:
    """Canonical change events for one Auth0 Event Stream CloudEvent (the EventBridge `detail`).

    [] for types cord-sync does not act on, test deliveries and users without an email; raises
    InvalidEventError when a relevant event is malformed.
    """
    if not isinstance(cloud_event, Mapping):
        raise InvalidEventError("an Auth0 Event Stream event must be a JSON object (a CloudEvent)")
    event_type = event_stream_type(cloud_event.get("type"))
    if event_type not in EVENT_STREAM_TYPES:
        return []
    changes = _Changes("Auth0 event", cloud_event.get("id"), cloud_event.get("time"), event_type)
    if cloud_event.get("a0purpose") == "test":
        return changes.skip("a test delivery")
    obj = _mapping(cloud_event.get("data")).get("object")
    if not isinstance(obj, Mapping):
        raise changes.invalid("has no data.object")
    if event_type in (USER_CREATED, USER_UPDATED, USER_DELETED):
        user_id = _user_id(changes, obj)
        if event_type == USER_DELETED:
            return [changes.change(USER_DEACTIVATE, {"id": user_id})]
        return changes.user_upsert(user_id, obj)
    if event_type in (ORG_CREATED, ORG_UPDATED, ORG_DELETED):
        org_id = _organization_id(changes, obj, mapping)
        if event_type == ORG_DELETED:
            return [changes.change(ORG_DEACTIVATE, {"id": org_id})]
        name = text(obj.get("display_name")) or text(obj.get("name"))
        if name is None:
            raise changes.invalid("has an organization without a name")
        return [changes.change(ORG_UPSERT, {"id": org_id, "name": name})]
    org_id = _organization_id(changes, _mapping(obj.get("organization")), mapping)
    user = _mapping(obj.get("user"))
    user_id = _user_id(changes, user)
    if event_type == MEMBER_DELETED:
        return [changes.change(MEMBERS_REMOVE, {"id": org_id, "users": [user_id]})]
    before = changes.user_upsert(user_id, user, suffix="#user") if usable_email(user.get("email")) else []
    return [*before, changes.change(MEMBERS_ADD, {"id": org_id, "users": [user_id]})]


def _user_id(changes: _Changes, user: Mapping[str, Any]) -> str:
    user_id = text(user.get("user_id"))
    if user_id is None:
        raise changes.invalid("has a user without a user_id")
    return user_id


def _organization_id(changes: _Changes, organization: Mapping[str, Any], mapping: Auth0Mapping) -> str:
    org_id = text(organization.get(mapping.organization_id_source))
    if org_id is None:
        raise changes.invalid(f"has an organization without an {mapping.organization_id_source}")
    return org_id
