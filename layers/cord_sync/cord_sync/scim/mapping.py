"""From SCIM resources (stored JSON documents) to Cord ids and canonical change events.

A user is sent to Cord when it has a Cord id (per SCIM_USER_ID_SOURCE) and a usable email: the primary email,
else the work email, else the first, else the userName if it is an email address. A user without one is stored
and answered normally but not sent to Cord (a warning with its SCIM id is logged). A group becomes an
organization when SCIM_GROUPS allows it and it has an id per SCIM_GROUP_ID_SOURCE.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Final

from cord_sync import model
from cord_sync.adapters.common import text
from cord_sync.publish import change_event, utc_now
from cord_sync.scim.config import ScimConfig

SOURCE: Final = "scim"
MEMBERS_CHUNK: Final = 1000  # ids per membership event: 1000 x 128 characters stays well under SQS's 256 KiB
ID_ATTRIBUTE: Final = {"id": "id", "externalId": "externalId", "userName": "userName", "displayName": "displayName"}


def _cord_id(doc: dict[str, Any], source: str) -> str | None:
    value = text(doc.get(ID_ATTRIBUTE[source]))
    return value if value is not None and len(value) <= 128 else None


def user_email(doc: dict[str, Any]) -> str | None:
    """Primary email, else work email, else the first email, else the userName if it is an email."""
    emails = [e for e in doc.get("emails") or [] if isinstance(e, dict) and text(e.get("value"))]
    ordered = (
        [e for e in emails if e.get("primary") is True]
        + [e for e in emails if str(e.get("type", "")).lower() == "work"]
        + emails
    )
    for candidate in [e["value"].strip() for e in ordered] + [text(doc.get("userName"))]:
        if model.usable_email(candidate):
            return candidate
    return None


def user_name(doc: dict[str, Any]) -> str | None:
    """displayName, else name.formatted, else given and family name."""
    name = doc.get("name") if isinstance(doc.get("name"), dict) else {}
    joined = " ".join(p for p in (text(name.get("givenName")), text(name.get("familyName"))) if p)
    return text(doc.get("displayName")) or text(name.get("formatted")) or (joined or None)


def user_cord_id(doc: dict[str, Any], config: ScimConfig) -> str | None:
    """The Cord id a user is synced as, or None when it cannot be sent to Cord (no id or no usable email)."""
    cord_id = _cord_id(doc, config.user_id_source)
    if cord_id is None or user_email(doc) is None:
        return None
    return cord_id


def group_cord_id(doc: dict[str, Any], config: ScimConfig) -> str | None:
    """The Cord organization id a group is synced as, or None when it does not become an organization."""
    display_name = text(doc.get("displayName"))
    if display_name is None or not config.group_synced(display_name):
        return None
    return _cord_id(doc, config.group_id_source)


class Events:
    """Collects the canonical events of one SCIM request (one time, one source, a fresh id each)."""

    def __init__(self) -> None:
        self.time = utc_now()
        self.items: list[dict[str, Any]] = []

    def add(self, type_: str, data: dict[str, Any]) -> None:
        self.items.append(change_event(type_, data, id=f"scim-{uuid.uuid4()}", source=SOURCE, time=self.time))

    # users ---------------------------------------------------------------------------------------------------

    def user_state(self, cord_id: str, doc: dict[str, Any]) -> None:
        """user.upsert (active) or user.deactivate, as the document's `active` says."""
        if doc.get("active") is False:
            self.add(model.USER_DEACTIVATE, {"id": cord_id})
            return
        data: dict[str, Any] = {"id": cord_id, "email": user_email(doc), "status": "active"}
        name = user_name(doc)
        if name:
            data["name"] = name
        name_part = doc.get("name") if isinstance(doc.get("name"), dict) else {}
        short = text(doc.get("nickName")) or text(name_part.get("givenName"))
        if short:
            data["short_name"] = short
        self.add(model.USER_UPSERT, data)

    def user_deactivate(self, cord_id: str) -> None:
        self.add(model.USER_DEACTIVATE, {"id": cord_id})

    # organizations ---------------------------------------------------------------------------------------------

    def organization(self, org_id: str, name: str, members: Sequence[str] | None = None) -> None:
        """organization.upsert (active); a member list over MEMBERS_CHUNK goes out as members.add chunks."""
        data: dict[str, Any] = {"id": org_id, "name": name, "status": "active"}
        if members is not None and len(members) <= MEMBERS_CHUNK:
            data["members"] = list(members)
            self.add(model.ORG_UPSERT, data)
            return
        self.add(model.ORG_UPSERT, data)
        if members:
            self.members(model.MEMBERS_ADD, org_id, members)

    def members(self, type_: str, org_id: str, users: Iterable[str]) -> None:
        ordered = sorted(set(users))
        for start in range(0, len(ordered), MEMBERS_CHUNK):
            self.add(type_, {"id": org_id, "users": ordered[start : start + MEMBERS_CHUNK]})

    def organization_deactivate(self, org_id: str) -> None:
        self.add(model.ORG_DEACTIVATE, {"id": org_id})
