"""Okta System Log events (Event Hooks, log streaming) as canonical change events.

One `LogEvent` (idp-payloads §1.4) becomes zero or more canonical events with source "okta". The primary
event's id is the LogEvent's `uuid` (Okta's dedupe key) and its time is `published` (the ordering key).
Events the sync acts on (`SUPPORTED_EVENT_TYPES`):

    user.lifecycle.create                  user.upsert (email, name)
    user.lifecycle.activate / .unsuspend   user.upsert with status active
    user.lifecycle.deactivate / .suspend   user.deactivate
    user.lifecycle.delete.initiated        user.deactivate
    user.account.update_profile            user.upsert with the target's current login and display name
    group.user_membership.add              organization.upsert, user.upsert, organization.members.add
    group.user_membership.remove           organization.upsert, organization.members.remove
    group.lifecycle.create                 organization.upsert
    group.profile.update                   organization.upsert (the new display name)
    group.lifecycle.delete                 organization.deactivate

A System Log event carries no profile attributes, only each target's `id`, `alternateId` (the login) and
`displayName`. The email is the login when the login is an email address; a user event whose login is not an
email cannot produce a `user.upsert` (Cord needs an email to create a user), so such an upsert is left out and
logged: a create or activation then maps to nothing, a membership change to the organization and membership
events only (Cord then refuses the addition until the user exists there).

A membership change is preceded by an `organization.upsert` with the group's display name (ids
"<uuid>#organization", same time), so that the organization exists in Cord before its members change, and an
addition by a `user.upsert` ("<uuid>#user", no status: it never reactivates anyone) so that the user exists too.

Which Okta attribute becomes the Cord id is `OktaMapping`: the Okta user id (`00u…`, default) or the login;
the Okta group id (`00g…`, default) or the group's display name. Okta ids never change; with logins as user
ids a changed login becomes a new Cord user, and with display names as organization ids a renamed group a new
organization (the old ones stay until deactivated).

`user.lifecycle.create` upserts the user without a status, so Cord creates it active even when Okta created
it staged; the `user.lifecycle.activate` that follows says `active` explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

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

SOURCE: Final = "okta"
USER_ID_SOURCE_ENV: Final = "OKTA_USER_ID_SOURCE"
GROUP_ID_SOURCE_ENV: Final = "OKTA_GROUP_ID_SOURCE"
USER_ID_SOURCES: Final = ("id", "login")
GROUP_ID_SOURCES: Final = ("id", "name")

USER_CREATE: Final = "user.lifecycle.create"
USER_ACTIVATE: Final = "user.lifecycle.activate"
USER_UNSUSPEND: Final = "user.lifecycle.unsuspend"
USER_DEACTIVATE_EVENT: Final = "user.lifecycle.deactivate"
USER_SUSPEND: Final = "user.lifecycle.suspend"
USER_DELETE: Final = "user.lifecycle.delete.initiated"
USER_PROFILE: Final = "user.account.update_profile"
MEMBERSHIP_ADD: Final = "group.user_membership.add"
MEMBERSHIP_REMOVE: Final = "group.user_membership.remove"
GROUP_CREATE: Final = "group.lifecycle.create"
GROUP_PROFILE: Final = "group.profile.update"
GROUP_DELETE: Final = "group.lifecycle.delete"

SUPPORTED_EVENT_TYPES: tuple[str, ...] = (
    USER_CREATE,
    USER_ACTIVATE,
    USER_UNSUSPEND,
    USER_DEACTIVATE_EVENT,
    USER_SUSPEND,
    USER_DELETE,
    USER_PROFILE,
    MEMBERSHIP_ADD,
    MEMBERSHIP_REMOVE,
    GROUP_CREATE,
    GROUP_PROFILE,
    GROUP_DELETE,
)
_USER_UPSERTS: Final = {USER_CREATE: None, USER_PROFILE: None, USER_ACTIVATE: "active", USER_UNSUSPEND: "active"}
_USER_DEACTIVATIONS: Final = frozenset({USER_DEACTIVATE_EVENT, USER_SUSPEND, USER_DELETE})
_GROUP_UPSERTS: Final = frozenset({GROUP_CREATE, GROUP_PROFILE})


@dataclass(frozen=True)
class OktaMapping:
    """Which Okta attribute becomes the Cord user id and the Cord organization id."""

    user_id_source: str = "id"  # "id" (Okta user id 00u...) or "login" (target alternateId)
    group_id_source: str = "id"  # "id" (Okta group id 00g...) or "name" (group displayName)

    def __post_init__(self) -> None:
        if self.user_id_source not in USER_ID_SOURCES:
            raise ConfigurationError(
                f"{USER_ID_SOURCE_ENV} must be one of {', '.join(USER_ID_SOURCES)}, not {self.user_id_source!r}"
            )
        if self.group_id_source not in GROUP_ID_SOURCES:
            raise ConfigurationError(
                f"{GROUP_ID_SOURCE_ENV} must be one of {', '.join(GROUP_ID_SOURCES)}, not {self.group_id_source!r}"
            )

    @classmethod
    def from_env(cls) -> OktaMapping:
        """Read OKTA_USER_ID_SOURCE and OKTA_GROUP_ID_SOURCE (case-insensitive, default "id")."""
        return cls(
            user_id_source=os.environ.get(USER_ID_SOURCE_ENV, "").strip().lower() or "id",
            group_id_source=os.environ.get(GROUP_ID_SOURCE_ENV, "").strip().lower() or "id",
        )


class _Mapper:
    """Maps one relevant, successful LogEvent; raises InvalidEventError naming the event on bad shapes."""

    def __init__(self, log_event: Mapping[str, Any], event_type: str, mapping: OktaMapping) -> None:
        self.event = log_event
        self.type = event_type
        self.mapping = mapping
        uuid = log_event.get("uuid")
        if not text(uuid):
            raise InvalidEventError(f"Okta {event_type} event has no uuid")
        if len(uuid.strip()) > MAX_EVENT_ID:  # never echoed: it would fill answers and logs
            raise InvalidEventError(f"Okta {event_type} event has a uuid longer than {MAX_EVENT_ID} characters")
        self.uuid: str = uuid.strip()
        try:
            self.time = normalize_time(log_event.get("published"))
        except ValueError:
            raise self.invalid(f"published {clip(log_event.get('published'))} is not an ISO 8601 time") from None
        targets = log_event.get("target")
        if not isinstance(targets, list):
            raise self.invalid("has no target list")
        self.targets = [t for t in targets if isinstance(t, Mapping)]

    def invalid(self, reason: str) -> InvalidEventError:
        return InvalidEventError(f"Okta event {self.uuid} ({self.type}) {reason}")

    def target(self, kind: str) -> Mapping[str, Any]:
        for target in self.targets:
            if isinstance(target.get("type"), str) and target["type"].lower() == kind.lower():
                return target
        raise self.invalid(f"has no {kind} target")

    def user(self) -> tuple[str, str | None, str | None]:
        """(Cord user id, email or None, display name or None) of the User target."""
        target = self.target("User")
        login = text(target.get("alternateId"))
        user_id = text(target.get("id")) if self.mapping.user_id_source == "id" else login
        if user_id is None:
            source = "id" if self.mapping.user_id_source == "id" else "alternateId (login)"
            raise self.invalid(f"has a User target without an {source}")
        return user_id, usable_email(login), text(target.get("displayName"))

    def group(self) -> tuple[str, str | None]:
        """(Cord organization id, display name or None) of the UserGroup target."""
        target = self.target("UserGroup")
        name = text(target.get("displayName"))
        group_id = text(target.get("id")) if self.mapping.group_id_source == "id" else name
        if group_id is None:
            source = "id" if self.mapping.group_id_source == "id" else "displayName"
            raise self.invalid(f"has a UserGroup target without a {source}")
        return group_id, name

    def change(self, type_: str, data: Mapping[str, Any], suffix: str = "") -> dict:
        event = {"type": type_, "id": self.uuid + suffix, "time": self.time, "source": SOURCE, "data": dict(data)}
        try:
            parse_event(event)
        except InvalidEventError as exc:
            raise self.invalid(f"maps to an invalid {type_}: {exc.reason}") from None
        return event

    def no_email(self, user_id: str) -> None:
        logger.info(
            "Okta user has no email login: user.upsert left out",
            extra={"okta_uuid": self.uuid, "okta_event_type": self.type, "user_id": user_id},
        )

    def user_upsert(self, status: str | None, suffix: str = "") -> list[dict]:
        user_id, email, name = self.user()
        if email is None:
            self.no_email(user_id)
            return []
        data: dict[str, Any] = {"id": user_id, "email": email}
        if name:
            data["name"] = name
        if status:
            data["status"] = status
        return [self.change(USER_UPSERT, data, suffix)]

    def organization_upsert(self, suffix: str = "") -> dict:
        group_id, name = self.group()
        if name is None:
            raise self.invalid("has a UserGroup target without a displayName (an organization needs a name)")
        return self.change(ORG_UPSERT, {"id": group_id, "name": name}, suffix)

    def events(self) -> list[dict]:
        if self.type in _USER_UPSERTS:
            return self.user_upsert(_USER_UPSERTS[self.type])
        if self.type in _USER_DEACTIVATIONS:
            return [self.change(USER_DEACTIVATE, {"id": self.user()[0]})]
        if self.type in _GROUP_UPSERTS:
            return [self.organization_upsert()]
        if self.type == GROUP_DELETE:
            return [self.change(ORG_DEACTIVATE, {"id": self.group()[0]})]
        group_id, _ = self.group()
        user_id = self.user()[0]
        before = [self.organization_upsert("#organization")]
        if self.type == MEMBERSHIP_ADD:
            before += self.user_upsert(None, "#user")
            kind = MEMBERS_ADD
        else:
            kind = MEMBERS_REMOVE
        return [*before, self.change(kind, {"id": group_id, "users": [user_id]})]


def events_from_log_event(log_event: Mapping, mapping: OktaMapping) -> list[dict]:
    """Canonical change events (plain dicts, source "okta") for one Okta System Log LogEvent.

    [] when the eventType is not one cord-sync acts on or outcome.result is not SUCCESS;
    raises cord_sync.errors.InvalidEventError(reason) when a relevant event is malformed.
    """
    if not isinstance(log_event, Mapping):
        raise InvalidEventError("an Okta System Log event must be a JSON object")
    event_type = log_event.get("eventType")
    if event_type not in SUPPORTED_EVENT_TYPES:
        return []
    outcome = log_event.get("outcome")
    if not isinstance(outcome, Mapping) or outcome.get("result") != "SUCCESS":
        return []
    return _Mapper(log_event, event_type, mapping).events()
