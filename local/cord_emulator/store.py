"""One application's users and organizations, and the identity endpoints' semantics over them.

Every endpoint function takes the :class:`~cord_emulator.era.Era` (how bodies are read, records created and
answers shaped), a :class:`Tenant` and the already-parsed JSON body; it raises :class:`ApiError` on failure and
mutates nothing before all of its checks have passed. The caller holds the emulator lock. Write endpoints return
the final server's success message; the era decides whether the answer carries it.

Records are plain dicts. A user: ``{id, email, name, short_name, profile_picture_url, status}`` (the final server
adds ``metadata`` and ``created_timestamp``). An organization: ``{id, name, status, members}`` (+ ``metadata``),
where ``members`` is an insertion-ordered ``dict`` used as a set.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cord_emulator import js
from cord_emulator.errors import ApiError, ServerCrash, users_not_found_message
from cord_emulator.tokens import is_js_falsy
from cord_emulator.validation import body_id, js_number_string

if TYPE_CHECKING:
    from cord_emulator.era import Era

DOCS_AUTH_URL = "https://docs.cord.com/reference/authentication"
DEFAULT_PAGE_SIZE = 1000

User = dict[str, Any]
Organization = dict[str, Any]
Query = Mapping[str, list[str]]  # parse_qs with blank values kept


@dataclass(slots=True)
class Tenant:
    users: dict[str, User] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    internal_ids: dict[str, str] = field(default_factory=dict)  # user id → the server's row uuid (member pages)

    def clear(self) -> None:
        self.users.clear()
        self.organizations.clear()
        self.internal_ids.clear()

    def internal_id(self, user_id: str) -> str:
        return self.internal_ids.setdefault(user_id, str(uuid.uuid4()))


# -- snapshots ---------------------------------------------------------------------------------------------


def organization_snapshot(org: Organization) -> dict[str, Any]:
    """A copy of an organization record with ``members`` as a sorted list (for inspection)."""
    return {**org, "members": sorted(org["members"])}


def active_organizations_of(tenant: Tenant, user_id: str) -> list[str]:
    return sorted(
        org_id
        for org_id, org in tenant.organizations.items()
        if org["status"] == "active" and user_id in org["members"]
    )


def memberships(tenant: Tenant) -> dict[str, list[str]]:
    """user id → ids of the active organizations the user is in (for snapshots)."""
    result: dict[str, list[str]] = {}
    for org_id in sorted(tenant.organizations):
        org = tenant.organizations[org_id]
        if org["status"] == "active":
            for user_id in org["members"]:
                result.setdefault(user_id, []).append(org_id)
    return result


# -- helpers -----------------------------------------------------------------------------------------------


def _resolve_members(member_ids: list[str], user_exists: Callable[[str], bool]) -> list[str]:
    """Check a replacement member list; any unknown id (or a duplicate, as the server counts) fails it."""
    found = {member for member in member_ids if user_exists(member)}
    if len(member_ids) != len(found):
        missing = list(dict.fromkeys(member for member in member_ids if member not in found))
        raise ApiError("user_not_found", users_not_found_message(missing))
    return member_ids


def _check_group_changes(tenant: Tenant, add: list[str], remove: list[str]) -> None:
    """``addGroups``/``removeGroups`` of a user update (final server)."""
    if set(add) & set(remove):
        raise ApiError("invalid_field", "Adding and removing the same group is invalid.")
    for group_id in (*add, *remove):
        if group_id not in tenant.organizations:
            raise ApiError("group_not_found", f"Group {group_id} not found.")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def group_not_found_for_members(noun: str, org_id: str) -> str:
    return (
        f"Platform {noun} {org_id} not found. If you wanted to create a new {noun}, add {noun}_details to your "
        f"request. Refer to {DOCS_AUTH_URL}#JSON-{noun}-details for details."
    )


# -- users -------------------------------------------------------------------------------------------------


def put_user(era: Era, tenant: Tenant, user_id: str, body: Any) -> str:
    user = tenant.users.get(user_id)
    changes = era.inputs.put_user(body, creating=user is None)
    _check_group_changes(tenant, changes.add_groups, changes.remove_groups)
    created = user is None
    if user is None:
        user = tenant.users[user_id] = era.new_user(user_id)
    user.update(changes.fields)
    for group_id in changes.add_groups:
        tenant.organizations[group_id]["members"].setdefault(user_id)
    for group_id in changes.remove_groups:
        tenant.organizations[group_id]["members"].pop(user_id, None)
    return f"✅ You successfully {'created' if created else 'updated'} user {user_id}"


def create_user(era: Era, tenant: Tenant, body: Any) -> str:
    user_id, changes = era.inputs.create_user(body)
    if user_id in tenant.users:
        raise ApiError(
            "user_already_exists",
            f"The platform user with id {user_id} already exists, to update user please make a PUT request "
            "to users/<USER_ID>.",
        )
    user = tenant.users[user_id] = era.new_user(user_id)
    user.update(changes.fields)
    return f"✅ You successfully created user {user_id}"


def get_user(era: Era, tenant: Tenant, user_id: str) -> dict[str, Any]:
    user = tenant.users.get(user_id)
    if user is None:
        raise ApiError("user_not_found", status=404)
    return era.user_view(user, active_organizations_of(tenant, user_id))


def list_users(tenant: Tenant) -> list[User]:
    """Every user record, sorted by id (the era shapes the answer)."""
    return [tenant.users[user_id] for user_id in sorted(tenant.users)]


def delete_user(tenant: Tenant, user_id: str) -> dict[str, Any]:
    """``DELETE /v1/users/:userID`` (final server): the user and their memberships are gone."""
    if user_id not in tenant.users:
        raise ApiError("invalid_user_id", f"Invalid user id: {user_id}.")
    del tenant.users[user_id]
    tenant.internal_ids.pop(user_id, None)
    for org in tenant.organizations.values():
        org["members"].pop(user_id, None)
    return {"success": True, "message": "User deleted.", "userID": user_id, "failedDeletionFileIDs": []}


# -- organizations -----------------------------------------------------------------------------------------


def put_organization(era: Era, tenant: Tenant, org_id: str, body: Any) -> str:
    org = tenant.organizations.get(org_id)
    changes = era.inputs.put_group(body, creating=org is None)
    members = None if changes.members is None else _resolve_members(changes.members, tenant.users.__contains__)
    created = org is None
    if org is None:
        org = tenant.organizations[org_id] = era.new_organization(org_id)
    org.update(changes.fields)
    if members is not None:
        org["members"] = dict.fromkeys(members)
    return f"✅ You successfully {'created' if created else 'updated'} group {org_id}"


def create_organization(era: Era, tenant: Tenant, body: Any) -> str:
    org_id, changes = era.inputs.create_group(body)
    if org_id in tenant.organizations:
        raise ApiError(
            "organization_already_exists",
            f"The platform organization with id {org_id} already exists, to update organization please make "
            "a PUT request to organizations/<ORGANIZATION_ID>.",
        )
    members = _resolve_members(changes.members or [], tenant.users.__contains__)
    org = era.new_organization(org_id)
    org.update(changes.fields)
    org["members"] = dict.fromkeys(members)
    tenant.organizations[org_id] = org
    return f"✅ You successfully created organization {org_id}"


def get_organization(era: Era, tenant: Tenant, org_id: str) -> dict[str, Any]:
    org = tenant.organizations.get(org_id)
    if org is None:
        raise ApiError("organization_not_found", status=404)
    return era.organization_view(org)


def list_organizations(era: Era, tenant: Tenant) -> list[dict[str, Any]]:
    return [era.organization_list_item(tenant.organizations[org_id]) for org_id in sorted(tenant.organizations)]


def delete_organization(tenant: Tenant, org_id: str) -> str:
    """``DELETE /v1/groups/:orgID`` (final server): a hard delete."""
    if org_id not in tenant.organizations:
        raise ApiError("group_not_found")
    del tenant.organizations[org_id]
    return f"✅ You successfully deleted group {org_id}"


def update_members(era: Era, tenant: Tenant, org_id: str, body: Any) -> str:
    org = tenant.organizations.get(org_id)
    if org is None:  # looked up before the body is validated
        raise ApiError("organization_not_found", group_not_found_for_members(era.group_noun, org_id))
    add, remove = era.inputs.group_members(body)
    removed = set(remove)
    for member in add:
        if member in removed:
            raise ApiError("invalid_field", f"Platform member {member} both added and removed.")
    for member in (*add, *remove):
        if member not in tenant.users:
            raise ApiError(
                "user_not_found",
                f"Platform user {member} not found. If you wanted to create a new user, add user_details to "
                f"your request. Refer to {DOCS_AUTH_URL}#JSON-user-details for details.",
            )
    members = org["members"]
    for member in add:
        members.setdefault(member)
    for member in remove:
        members.pop(member, None)
    return "✅ You successfully updated group members"


def list_group_members(tenant: Tenant, org_id: str, query: Query) -> dict[str, Any]:
    """``GET /v1/groups/:orgID/members`` (final server): paginated in the order of the users' row uuids."""
    org = tenant.organizations.get(org_id)
    if org is None:
        raise ApiError("group_not_found", status=404)
    token = _read_token(query, ("externalID", "userID"))
    limit = _read_limit(query)
    members = sorted(org["members"], key=tenant.internal_id)
    after = [member for member in members if token is None or tenant.internal_id(member) > token["userID"]]
    page = after[:limit]
    next_token = None
    if len(after) > len(page) and page:
        next_token = _encode_token({"userID": tenant.internal_id(page[-1]), "externalID": page[-1]})
    users = [tenant.users[member] for member in page]
    return {
        "users": [
            {
                "id": user["id"],
                "email": user["email"],
                "status": user["status"],
                "name": user["name"],
                "shortName": user["short_name"],
                "profilePictureURL": user["profile_picture_url"],
                "metadata": user["metadata"],
                "createdTimestamp": user["created_timestamp"],
            }
            for user in users
        ],
        "pagination": {"token": next_token, "total": len(members)},
    }


# -- batch -------------------------------------------------------------------------------------------------


def batch(era: Era, tenant: Tenant, body: Any) -> str:
    """``POST /v1/batch``: all items are validated and applied to a staging area, committed only at the end."""
    user_items, group_items = era.inputs.batch(body)

    staged_users: dict[str, User] = {}
    for index, item in enumerate(user_items):
        user_id = body_id(item["id"])
        current = staged_users.get(user_id) or tenant.users.get(user_id)
        changes = era.inputs.batch_user(item, index, creating=current is None)
        user = era.new_user(user_id) if current is None else dict(current)
        user.update(changes.fields)
        staged_users[user_id] = user

    def user_exists(user_id: str) -> bool:
        return user_id in staged_users or user_id in tenant.users

    staged_orgs: dict[str, Organization] = {}
    later_members: dict[str, list[str]] = {}  # checked once all groups are staged (final server)
    for index, item in enumerate(group_items):
        org_id = body_id(item["id"])
        current = staged_orgs.get(org_id) or tenant.organizations.get(org_id)
        changes = era.inputs.batch_group(item, index, creating=current is None)
        # members is replaced, never mutated, so sharing the old dict in the copy is safe
        org = era.new_organization(org_id) if current is None else dict(current)
        org.update(changes.fields)
        if changes.members is not None:
            if era.batch_members_checked_per_group:
                org["members"] = dict.fromkeys(_resolve_members(changes.members, user_exists))
            else:
                later_members[org_id] = changes.members
        staged_orgs[org_id] = org

    if later_members:  # every unknown member of every group in one error; duplicates are fine here
        wanted = [member for item in group_items for member in map(body_id, item.get("members", []))]
        missing = [member for member in dict.fromkeys(wanted) if not user_exists(member)]
        if missing:
            raise ApiError("user_not_found", users_not_found_message(missing))
        for org_id, members in later_members.items():
            staged_orgs[org_id]["members"] = dict.fromkeys(members)

    tenant.users.update(staged_users)
    tenant.organizations.update(staged_orgs)
    return (
        f"✅ You successfully batch updated {_plural(len(user_items), 'user')} and {_plural(len(group_items), 'group')}"
    )


# -- pagination (final server) -----------------------------------------------------------------------------


def _query_value(query: Query, name: str, repeated_message: str) -> str:
    values = query.get(name, [])
    if len(values) > 1:  # Express turns a repeated parameter into an array
        raise ApiError("invalid_field", repeated_message)
    return values[0] if values else ""


def _read_limit(query: Query) -> int:
    raw = _query_value(query, "limit", "Limit must be a number.")
    if not raw:
        return DEFAULT_PAGE_SIZE
    limit = js.parse_int(raw)
    if limit is None:
        raise ApiError("invalid_field", "Limit must be a number.")
    if limit < 0:
        raise ServerCrash("LIMIT must not be negative")  # PostgreSQL refuses it: a 500
    return limit


def _token_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    return js_number_string(value) if js.is_finite_number(value) else None


def _read_token(query: Query, required: tuple[str, ...]) -> dict[str, str] | None:
    """``validatePaginationToken``: base64 of a JSON object whose ``required`` entries are non-empty."""
    raw = _query_value(query, "token", "Pagination token should be of type string.")
    if not raw:
        return None
    text = js.atob(raw)
    try:
        decoded = json.loads(text) if text is not None else None
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        raise ApiError("invalid_field", "Pagination token is not valid")
    token: dict[str, str] = {}
    for name in required:
        value = _token_text(decoded.get(name))
        if not value:
            raise ApiError("invalid_field", "Pagination token is not valid")
        token[name] = value
    return token


def _encode_token(payload: dict[str, str]) -> str:
    encoded = js.btoa(js.stringify(payload))
    if encoded is None:  # btoa throws on characters above U+00FF: the server answers 500
        raise ServerCrash("btoa: the string contains characters outside of the Latin1 range")
    return encoded


# validateFilter's checks in the server's order; for the users list only "metadata" filters anything
_FILTER_KEYS = (
    "location",
    "metadata",
    "firstMessageTimestamp",
    "mostRecentMessageTimestamp",
    "organizationID",
    "groupID",
    "authorID",
    "resolvedStatus",
    "viewer",
)


def _is_flat_metadata(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(item, str | bool) or js.is_finite_number(item) for item in value.values()
    )


def _json_kind(value: Any) -> str:
    return "boolean" if isinstance(value, bool) else "string" if isinstance(value, str) else "number"


def _read_metadata_filter(query: Query) -> dict[str, Any] | None:
    """``validateFilter`` as the users list calls it: only ``metadata`` is accepted (and group ids ignored)."""
    raw = ",".join(query.get("filter", []))  # JSON.parse of a repeated parameter parses the array's String()
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        data = ""
    if data is None:
        raise ServerCrash("Cannot destructure 'filterJson' as it is null")
    if isinstance(data, list):
        data = {str(index): item for index, item in enumerate(data)}
    if not isinstance(data, dict):
        raise ApiError("invalid_field", "The filter object must be a valid JSON object.")
    others = [key for key in js.keys(data) if key not in _FILTER_KEYS]
    if others:
        raise ApiError("invalid_field", f'The filter object does not support "{others[0]}" as a field.')
    for name in _FILTER_KEYS:
        value = data.get(name)
        if is_js_falsy(value):
            continue
        if name == "metadata":
            if not _is_flat_metadata(value):
                raise ApiError("invalid_field", '"metadata" must be valid JSON.')
        elif name in ("organizationID", "groupID"):
            if not isinstance(value, str):
                raise ApiError("invalid_field", '"groupID" is not valid')
        else:
            raise ApiError("invalid_field", f'The filter object does not support "{name}" as a field.')
    metadata = data.get("metadata")
    return None if is_js_falsy(metadata) else metadata


def _contains(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """jsonb ``@>`` on flat objects."""
    return all(
        key in stored and _json_kind(stored[key]) == _json_kind(value) and stored[key] == value
        for key, value in wanted.items()
    )


def user_fields_2024(user: User) -> dict[str, Any]:
    """The fields every final-server user response carries (GET one, list items), both spellings."""
    return {
        "id": user["id"],
        "email": user["email"],
        "status": user["status"],
        "name": user["name"],
        "shortName": user["short_name"],
        "short_name": user["short_name"],
        "first_name": None,
        "last_name": None,
        "profilePictureURL": user["profile_picture_url"],
        "profile_picture_url": user["profile_picture_url"],
    }


def page_users(records: Iterable[User], query: Query) -> dict[str, Any]:
    """``GET /v1/users`` of the final server: ``{users, pagination: {token, total}}``, sorted by id."""
    metadata = _read_metadata_filter(query)
    token = _read_token(query, ("externalID",))
    limit = _read_limit(query)
    matching = [user for user in records if metadata is None or _contains(user["metadata"], metadata)]
    after = [user for user in matching if token is None or user["id"] > token["externalID"]]
    page = after[:limit]
    next_token = None
    if len(after) > len(page) and page:
        next_token = _encode_token({"externalID": page[-1]["id"]})
    return {
        "users": [
            {**user_fields_2024(user), "metadata": user["metadata"], "createdTimestamp": user["created_timestamp"]}
            for user in page
        ],
        "pagination": {"token": next_token, "total": len(matching)},
    }
