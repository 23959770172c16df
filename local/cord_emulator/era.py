"""The eras the emulator can play, side by side: every behaviour that differs between them is an entry here.

``2022`` is the server of 2021-2022 (cord-api.md §6 left column, the emulator's original behaviour); ``2024`` is
the open-source server as it was at shutdown (§4, §6 right column). The request pipeline (``core.py``) and the
endpoint flows (``store.py``) are shared and consult :class:`Era` for:

- naming: error codes renamed on the way out (``present``), the claims a server token may name the project with;
- reading bodies: ``inputs`` (field-by-field validation vs ajv schemas, required fields, null/"" semantics);
- records and answers: new user/organization records, views, success bodies, the ``GET /v1/users`` shape;
- which routes exist (``Route.since`` in ``core.py``) and token lifetime defaults.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cord_emulator import js, store
from cord_emulator.errors import ApiError
from cord_emulator.inputs import FieldInputs, SchemaInputs
from cord_emulator.store import Organization, Query, User


@dataclass(frozen=True, slots=True)
class Era:
    name: str  # "2022" | "2024": routes declare the era they appeared in (core.Route.since)
    title: str
    max_token_age: int  # default maxAge (seconds after iat) of signed app tokens
    error_names: Mapping[str, str]  # codes raised by the handlers (2022 names) → this era's codes
    server_token_claims: tuple[str, ...]  # claims naming the project in a server token, the first truthy wins
    server_token_label: str  # how server-token messages call that claim
    group_noun: str  # "organization" | "group" in the members endpoint's not-found message
    inputs: FieldInputs | SchemaInputs
    batch_members_checked_per_group: bool  # else: all groups' unknown members in one error, duplicates allowed
    new_user: Callable[[str], User]
    new_organization: Callable[[str], Organization]
    user_view: Callable[[User, list[str]], dict[str, Any]]  # GET /v1/users/:id, with the active organizations
    user_list: Callable[[list[User], Query], Any]  # GET /v1/users from the records sorted by id
    organization_view: Callable[[Organization], dict[str, Any]]
    organization_list_item: Callable[[Organization], dict[str, Any]]
    success: Callable[[str], dict[str, Any]]  # a write's success body from the final server's message

    def present(self, error: ApiError) -> ApiError:
        """The error under this era's name; a default message follows the name, a specific one is kept."""
        code = self.error_names.get(error.code)
        if code is None:
            return error
        return ApiError(code, None if error.defaulted else error.message, status=error.status)


# -- 2021-2022 -----------------------------------------------------------------------------------------------


def _new_user_2022(user_id: str) -> User:
    return {
        "id": user_id,
        "email": None,
        "name": None,
        "short_name": None,
        "profile_picture_url": None,
        "status": "active",
    }


def _new_organization_2022(org_id: str) -> Organization:
    return {"id": org_id, "name": None, "status": "active", "members": {}}


def _user_item_2022(user: User) -> dict[str, Any]:
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


ERA_2022 = Era(
    name="2022",
    title="2021-2022 era",
    max_token_age=60,
    error_names={},
    server_token_claims=("app_id",),
    server_token_label="app_id",
    group_noun="organization",
    inputs=FieldInputs(),
    batch_members_checked_per_group=True,
    new_user=_new_user_2022,
    new_organization=_new_organization_2022,
    user_view=lambda user, orgs: {**_user_item_2022(user), "organizations": orgs},
    user_list=lambda users, query: [_user_item_2022(user) for user in users],
    organization_view=lambda org: {
        "id": org["id"],
        "name": org["name"],
        "status": org["status"],
        "members": sorted(org["members"]),
    },
    organization_list_item=lambda org: {"id": org["id"], "name": org["name"], "status": org["status"]},
    success=lambda message: {"success": True},
)


# -- the final server (mid-2024) -----------------------------------------------------------------------------


def _new_user_2024(user_id: str) -> User:
    return {**_new_user_2022(user_id), "metadata": {}, "created_timestamp": js.iso_date(time.time())}


def _new_organization_2024(org_id: str) -> Organization:
    return {**_new_organization_2022(org_id), "metadata": {}}


def _user_view_2024(user: User, groups: list[str]) -> dict[str, Any]:
    # createdTimestamp is declared but missing: the handler reads an attribute that does not exist
    return {
        **store.user_fields_2024(user),
        "organizations": groups,
        "groups": groups,
        "metadata": user["metadata"],
        "groupIDsWithLinkedSlackProfile": [],
    }


def _organization_view_2024(org: Organization) -> dict[str, Any]:
    return {
        "id": org["id"],
        "name": org["name"],
        "status": org["status"],
        "members": sorted(org["members"]),
        "connectedToSlack": False,
        "metadata": org["metadata"],
    }


def _organization_item_2024(org: Organization) -> dict[str, Any]:
    return {
        "id": org["id"],
        "name": org["name"],
        "status": org["status"],
        "connectedToSlack": False,
        "metadata": org["metadata"],
    }


ERA_2024 = Era(
    name="2024",
    title="final server, mid-2024",
    max_token_age=86400,
    error_names={
        "invalid_app_token": "invalid_project_token",
        "application_not_found": "project_not_found",
        "organization_not_found": "group_not_found",
    },
    server_token_claims=("app_id", "project_id"),
    server_token_label="project_id",
    group_noun="group",
    inputs=SchemaInputs(),
    batch_members_checked_per_group=False,
    new_user=_new_user_2024,
    new_organization=_new_organization_2024,
    user_view=_user_view_2024,
    user_list=store.page_users,
    organization_view=_organization_view_2024,
    organization_list_item=_organization_item_2024,
    success=lambda message: {"success": True, "message": message},
)

ERAS: dict[str, Era] = {era.name: era for era in (ERA_2022, ERA_2024)}
DEFAULT_ERA = ERA_2022.name


def era_named(name: str) -> Era:
    try:
        return ERAS[str(name)]
    except KeyError:
        raise ValueError(f"era must be one of {', '.join(ERAS)}, got {name!r}") from None
