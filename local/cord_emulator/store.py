"""One application's users and organizations, and the identity endpoints' semantics over them.

Every function takes a :class:`Tenant` and the already-parsed JSON body, raises :class:`ApiError` on failure
and mutates nothing before all of its checks have passed. The caller holds the emulator lock.

Records are plain dicts. A user: ``{id, email, name, short_name, profile_picture_url, status}``. An
organization: ``{id, name, status, members}`` where ``members`` is an insertion-ordered ``dict`` used as a set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cord_emulator.errors import ApiError, missing_fields_message, users_not_found_message
from cord_emulator.validation import (
    ORGANIZATION_FIELDS,
    USER_FIELDS,
    body_id,
    check_array,
    check_email,
    check_external_id,
    check_id,
    check_id_list,
    check_string,
    validate_input,
)

MAX_BATCH_USERS = 10_000
MAX_BATCH_ORGANIZATIONS = 1_000
DOCS_AUTH_URL = "https://docs.cord.com/reference/authentication"

User = dict[str, Any]
Organization = dict[str, Any]


@dataclass(slots=True)
class Tenant:
    users: dict[str, User] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)

    def clear(self) -> None:
        self.users.clear()
        self.organizations.clear()


# -- views -------------------------------------------------------------------------------------------------


def user_view(user: User) -> dict[str, Any]:
    """A user as ``GET /v1/users`` lists it (first/last name are accepted on input but never stored)."""
    return {
        "id": user["id"],
        "email": user["email"],
        "status": user["status"],
        "name": user["name"],
        "short_name": user["short_name"],
        "profile_picture_url": user["profile_picture_url"],
        "first_name": None,
        "last_name": None,
    }


def organization_view(org: Organization, *, with_members: bool = True) -> dict[str, Any]:
    view = {"id": org["id"], "name": org["name"], "status": org["status"]}
    if with_members:
        view["members"] = sorted(org["members"])
    return view


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


def _new_user(user_id: str) -> User:
    return {
        "id": user_id,
        "email": None,
        "name": None,
        "short_name": None,
        "profile_picture_url": None,
        "status": "active",
    }


def _apply_user_update(user: User, body: dict[str, Any], *, with_status: bool = True) -> None:
    """Update semantics of PUT and batch: ``""``/null email and null name are ignored, null clears the rest."""
    if body.get("email"):
        user["email"] = body["email"]
    if body.get("name") is not None:
        user["name"] = body["name"]
    for key in ("short_name", "profile_picture_url"):
        if key in body:
            user[key] = body[key]
    if with_status and "status" in body:
        user["status"] = body["status"]


def _resolve_members(raw_members: Iterable[Any], user_exists: Callable[[str], bool]) -> list[str]:
    """Stringify a replacement member list; any unknown id (or a duplicate, as the server counts) fails it."""
    member_ids = [body_id(member) for member in raw_members]
    found = {member for member in member_ids if user_exists(member)}
    if len(member_ids) != len(found):
        missing = list(dict.fromkeys(member for member in member_ids if member not in found))
        raise ApiError("user_not_found", users_not_found_message(missing))
    return member_ids


def _status_of(body: dict[str, Any]) -> str:
    return "deleted" if body.get("status") == "deleted" else "active"


# -- users -------------------------------------------------------------------------------------------------


def put_user(tenant: Tenant, user_id: str, body: Any) -> None:
    validate_input(body, optional=USER_FIELDS)
    user = tenant.users.get(user_id)
    if user is None:
        if not body.get("email"):
            raise ApiError("missing_field", missing_fields_message(["email"]))
        user = _new_user(user_id)
        _apply_user_update(user, body)
        tenant.users[user_id] = user
    else:
        _apply_user_update(user, body)


def create_user(tenant: Tenant, body: Any) -> None:
    validate_input(body, required={"id": check_external_id, "email": check_email}, optional=USER_FIELDS)
    user_id = body_id(body["id"])
    if user_id in tenant.users:
        raise ApiError(
            "user_already_exists",
            f"The platform user with id {user_id} already exists, to update user please make a PUT request "
            "to users/<USER_ID>.",
        )
    user = _new_user(user_id)
    _apply_user_update(user, body)
    user["email"] = body["email"]  # POST stores "" as given
    tenant.users[user_id] = user


def get_user(tenant: Tenant, user_id: str) -> dict[str, Any]:
    user = tenant.users.get(user_id)
    if user is None:
        raise ApiError("user_not_found", status=404)
    return {**user_view(user), "organizations": active_organizations_of(tenant, user_id)}


def list_users(tenant: Tenant) -> list[dict[str, Any]]:
    return [user_view(tenant.users[user_id]) for user_id in sorted(tenant.users)]


# -- organizations -----------------------------------------------------------------------------------------


def put_organization(tenant: Tenant, org_id: str, body: Any) -> None:
    validate_input(body, optional=ORGANIZATION_FIELDS)
    org = tenant.organizations.get(org_id)
    if org is None and not body.get("name"):
        raise ApiError("missing_field", missing_fields_message(["name"]))
    members = None
    if "members" in body:
        members = _resolve_members(body["members"], tenant.users.__contains__)
    if org is None:
        org = {"id": org_id, "name": body["name"], "status": "active", "members": {}}
        tenant.organizations[org_id] = org
    elif "name" in body:
        org["name"] = body["name"]
    org["status"] = _status_of(body)  # quirk: an update without status reactivates the organization
    if members is not None:
        org["members"] = dict.fromkeys(members)


def create_organization(tenant: Tenant, body: Any) -> None:
    validate_input(
        body,
        required={"id": check_external_id, "name": check_string},
        optional={key: check for key, check in ORGANIZATION_FIELDS.items() if key != "name"},
    )
    org_id = body_id(body["id"])
    if org_id in tenant.organizations:
        raise ApiError(
            "organization_already_exists",
            f"The platform organization with id {org_id} already exists, to update organization please make "
            "a PUT request to organizations/<ORGANIZATION_ID>.",
        )
    members = _resolve_members(body.get("members", []), tenant.users.__contains__)
    tenant.organizations[org_id] = {
        "id": org_id,
        "name": body["name"],
        "status": _status_of(body),
        "members": dict.fromkeys(members),
    }


def get_organization(tenant: Tenant, org_id: str) -> dict[str, Any]:
    org = tenant.organizations.get(org_id)
    if org is None:
        raise ApiError("organization_not_found", status=404)
    return organization_view(org)


def list_organizations(tenant: Tenant) -> list[dict[str, Any]]:
    return [
        organization_view(tenant.organizations[org_id], with_members=False) for org_id in sorted(tenant.organizations)
    ]


def update_members(tenant: Tenant, org_id: str, body: Any) -> None:
    org = tenant.organizations.get(org_id)
    if org is None:
        raise ApiError(
            "organization_not_found",
            f"Platform organization {org_id} not found. If you wanted to create a new organization, add "
            f"organization_details to your request. Refer to {DOCS_AUTH_URL}#JSON-organization-details "
            "for details.",
        )
    validate_input(body, optional={"add": check_id_list, "remove": check_id_list})
    add = [body_id(member) for member in body.get("add", [])]
    remove = [body_id(member) for member in body.get("remove", [])]
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


# -- batch -------------------------------------------------------------------------------------------------


def _check_batch_size(items: list[Any], limit: int) -> None:
    if len(items) > limit:
        raise ApiError("invalid_field", f"Input has {len(items)} items and must NOT have more than {limit} items")


def batch(tenant: Tenant, body: Any) -> None:
    """``POST /v1/batch``: all items are validated and applied to a staging area, committed only at the end."""
    validate_input(body, optional={"users": check_array, "organizations": check_array})
    user_items: list[Any] = body.get("users", [])
    org_items: list[Any] = body.get("organizations", [])
    _check_batch_size(user_items, MAX_BATCH_USERS)
    _check_batch_size(org_items, MAX_BATCH_ORGANIZATIONS)
    for index, item in enumerate(user_items):
        validate_input(item, required={"id": check_id}, optional=USER_FIELDS, prefix=f"users/{index}/")
    for index, item in enumerate(org_items):
        validate_input(item, required={"id": check_id}, optional=ORGANIZATION_FIELDS, prefix=f"organizations/{index}/")

    staged_users: dict[str, User] = {}
    for index, item in enumerate(user_items):
        user_id = body_id(item["id"])
        current = staged_users.get(user_id) or tenant.users.get(user_id)
        if current is None:
            if not item.get("email"):
                raise ApiError("missing_field", missing_fields_message([f"users/{index}/email"]))
            user = _new_user(user_id)
            _apply_user_update(user, item, with_status=False)  # quirk: new users are active whatever status says
        else:
            user = dict(current)
            _apply_user_update(user, item)
        staged_users[user_id] = user

    def user_exists(user_id: str) -> bool:
        return user_id in staged_users or user_id in tenant.users

    staged_orgs: dict[str, Organization] = {}
    for index, item in enumerate(org_items):
        org_id = body_id(item["id"])
        current = staged_orgs.get(org_id) or tenant.organizations.get(org_id)
        if current is None:
            if not item.get("name"):
                raise ApiError("missing_field", missing_fields_message([f"organizations/{index}/name"]))
            org = {"id": org_id, "name": item["name"], "status": _status_of(item), "members": {}}
        else:
            org = dict(current)  # members is replaced, never mutated, so sharing the old dict is safe
            if "name" in item:
                org["name"] = item["name"]
            if "status" in item:
                org["status"] = item["status"]
        if "members" in item:
            org["members"] = dict.fromkeys(_resolve_members(item["members"], user_exists))
        staged_orgs[org_id] = org

    tenant.users.update(staged_users)
    tenant.organizations.update(staged_orgs)
