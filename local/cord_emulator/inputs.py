"""Request bodies → validated, normalised changes, once per era.

Each endpoint's body is checked the way its era's server checks it and turned into :class:`Changes`: the stored
fields to set (record keys: ``email``, ``name``, ``short_name``, ``profile_picture_url``, ``status``,
``metadata``), a group's replacement member list, a user's group additions and removals. The flows in
``store.py`` are the same for every era; what a body may contain, how it fails and what ``null``, ``""`` or an
omitted field mean is decided here.

- :class:`FieldInputs`: 2021-2022, ``validateInput`` field by field (``validation.py``), snake_case only, email
  required to create a user.
- :class:`SchemaInputs`: the final server, ajv schemas (``schema.py``), camelCase aliases, ``metadata``,
  ``addGroups``/``removeGroups``, nothing but the id required to create a user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cord_emulator import schema
from cord_emulator.errors import ApiError, invalid_type_message, missing_fields_message
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


@dataclass(slots=True)
class Changes:
    fields: dict[str, Any]
    members: list[str] | None = None  # groups: the replacement member list, ids stringified
    add_groups: list[str] = field(default_factory=list)  # users (final server): memberships to add
    remove_groups: list[str] = field(default_factory=list)


def status_of(body: dict[str, Any]) -> str:
    """A group's status as written on PUT and create: ``deleted`` only when asked for, otherwise ``active``."""
    return "deleted" if body.get("status") == "deleted" else "active"


def _ids(values: Sequence[Any] | None) -> list[str] | None:
    return None if values is None else [body_id(value) for value in values]


def _add_remove(body: dict[str, Any]) -> tuple[list[str], list[str]]:
    return [body_id(member) for member in body.get("add", [])], [body_id(member) for member in body.get("remove", [])]


class FieldInputs:
    """The 2021-2022 server: field-by-field errors (``missing_field``/``unexpected_field``/``invalid_field``)."""

    @staticmethod
    def _user_fields(body: dict[str, Any], *, with_status: bool = True) -> dict[str, Any]:
        """PUT and batch update: ``""``/null email and null name are ignored, null clears the other fields."""
        fields: dict[str, Any] = {}
        if body.get("email"):
            fields["email"] = body["email"]
        if body.get("name") is not None:
            fields["name"] = body["name"]
        for key in ("short_name", "profile_picture_url"):
            if key in body:
                fields[key] = body[key]
        if with_status and "status" in body:
            fields["status"] = body["status"]
        return fields

    def put_user(self, body: Any, *, creating: bool) -> Changes:
        validate_input(body, optional=USER_FIELDS)
        if creating and not body.get("email"):
            raise ApiError("missing_field", missing_fields_message(["email"]))
        return Changes(self._user_fields(body))

    def create_user(self, body: Any) -> tuple[str, Changes]:
        validate_input(body, required={"id": check_external_id, "email": check_email}, optional=USER_FIELDS)
        fields = self._user_fields(body)
        fields["email"] = body["email"]  # POST stores "" as given
        return body_id(body["id"]), Changes(fields)

    def delete_user(self, body: Any) -> None:
        raise NotImplementedError("DELETE /v1/users/:userID does not exist in this era")

    def put_group(self, body: Any, *, creating: bool) -> Changes:
        validate_input(body, optional=ORGANIZATION_FIELDS)
        if creating and not body.get("name"):
            raise ApiError("missing_field", missing_fields_message(["name"]))
        fields = {"status": status_of(body)}  # quirk: an update without status reactivates the organization
        if "name" in body:
            fields["name"] = body["name"]
        return Changes(fields, members=_ids(body.get("members")))

    def create_group(self, body: Any) -> tuple[str, Changes]:
        validate_input(
            body,
            required={"id": check_external_id, "name": check_string},
            optional={key: check for key, check in ORGANIZATION_FIELDS.items() if key != "name"},
        )
        fields = {"name": body["name"], "status": status_of(body)}
        return body_id(body["id"]), Changes(fields, members=_ids(body.get("members", [])))

    def group_members(self, body: Any) -> tuple[list[str], list[str]]:
        validate_input(body, optional={"add": check_id_list, "remove": check_id_list})
        return _add_remove(body)

    def batch(self, body: Any) -> tuple[list[Any], list[Any]]:
        validate_input(body, optional={"users": check_array, "organizations": check_array})
        user_items: list[Any] = body.get("users", [])
        org_items: list[Any] = body.get("organizations", [])
        for items, limit in ((user_items, MAX_BATCH_USERS), (org_items, MAX_BATCH_ORGANIZATIONS)):
            if len(items) > limit:
                raise ApiError(
                    "invalid_field", f"Input has {len(items)} items and must NOT have more than {limit} items"
                )
        for index, item in enumerate(user_items):
            validate_input(item, required={"id": check_id}, optional=USER_FIELDS, prefix=f"users/{index}/")
        for index, item in enumerate(org_items):
            validate_input(
                item, required={"id": check_id}, optional=ORGANIZATION_FIELDS, prefix=f"organizations/{index}/"
            )
        return user_items, org_items

    def batch_user(self, item: dict[str, Any], index: int, *, creating: bool) -> Changes:
        if creating and not item.get("email"):
            raise ApiError("missing_field", missing_fields_message([f"users/{index}/email"]))
        # quirk: new users are active whatever status says
        return Changes(self._user_fields(item, with_status=not creating))

    def batch_group(self, item: dict[str, Any], index: int, *, creating: bool) -> Changes:
        if creating:
            if not item.get("name"):
                raise ApiError("missing_field", missing_fields_message([f"organizations/{index}/name"]))
            fields = {"name": item["name"], "status": status_of(item)}
        else:
            fields = {key: item[key] for key in ("name", "status") if key in item}
        return Changes(fields, members=_ids(item.get("members")))


class SchemaInputs:
    """The final server: ajv schemas, every failure 400 ``invalid_request`` (cord-api.md §3, §4)."""

    NEW_GROUP_NEEDS_NAME = (
        'Invalid UpdatePlatformGroupVariables:\nGroup does not exist, "name" is a required field to create a new group.'
    )

    @staticmethod
    def _without_empty_email(body: dict[str, Any]) -> dict[str, Any]:
        """``removeEmptyStringEmailIfExists``: ``email: ""`` counts as absent on PUT and batch updates."""
        return {key: value for key, value in body.items() if not (key == "email" and value == "")}

    @staticmethod
    def _picture(body: dict[str, Any]) -> tuple[bool, Any]:
        """``profilePictureURL ?? profile_picture_url``: (whether it is set, the value; None clears it)."""
        if body.get("profilePictureURL") is not None:
            return True, body["profilePictureURL"]
        return "profile_picture_url" in body, body.get("profile_picture_url")

    @staticmethod
    def _check_body_id(body: dict[str, Any]) -> str:
        if check_external_id(body["id"]) is not None:
            raise ApiError("invalid_field", invalid_type_message("id", "identifier"))
        return body_id(body["id"])

    def put_user(self, body: Any, *, creating: bool) -> Changes:
        body = self._without_empty_email(schema.UPDATE_USER.validate(body))
        fields = {key: body[key] for key in ("email", "name") if body.get(key) is not None}  # null is ignored
        short_name = body.get("shortName") if body.get("shortName") is not None else body.get("short_name")
        if short_name is not None:
            fields["short_name"] = short_name
        has_picture, picture = self._picture(body)
        if has_picture:
            fields["profile_picture_url"] = picture
        if "status" in body:
            fields["status"] = body["status"]
        if "metadata" in body:
            fields["metadata"] = dict(body["metadata"])  # replaces the stored object wholesale
        return Changes(fields, add_groups=body.get("addGroups", []), remove_groups=body.get("removeGroups", []))

    def create_user(self, body: Any) -> tuple[str, Changes]:
        body = schema.CREATE_USER.validate(body)
        user_id = self._check_body_id(body)
        fields = {key: body[key] for key in ("email", "name", "status") if body.get(key) is not None}  # "" kept
        short_name = body.get("shortName") if body.get("shortName") is not None else body.get("short_name")
        if short_name is not None:
            fields["short_name"] = short_name
        _, picture = self._picture(body)
        if picture is not None:
            fields["profile_picture_url"] = picture
        if "metadata" in body:
            fields["metadata"] = dict(body["metadata"])
        return user_id, Changes(fields)

    def delete_user(self, body: Any) -> None:
        if not schema.DELETE_USER.validate(body)["permanently_delete"]:
            raise ApiError("invalid_request")

    def put_group(self, body: Any, *, creating: bool) -> Changes:
        body = schema.UPDATE_GROUP.validate(body)
        if creating and not body.get("name"):
            raise ApiError("missing_field", self.NEW_GROUP_NEEDS_NAME)
        fields: dict[str, Any] = {"status": status_of(body)}  # the reactivation quirk survives in this era
        if "name" in body:
            fields["name"] = body["name"]
        if "metadata" in body:
            fields["metadata"] = dict(body["metadata"])
        return Changes(fields, members=_ids(body.get("members")))

    def create_group(self, body: Any) -> tuple[str, Changes]:
        body = schema.CREATE_ORGANIZATION.validate(body)
        org_id = self._check_body_id(body)
        fields: dict[str, Any] = {"name": body["name"], "status": status_of(body)}
        if "metadata" in body:
            fields["metadata"] = dict(body["metadata"])
        return org_id, Changes(fields, members=_ids(body.get("members")))

    def group_members(self, body: Any) -> tuple[list[str], list[str]]:
        body = schema.UPDATE_GROUP_MEMBERS.validate(body)
        return _add_remove(body)

    def batch(self, body: Any) -> tuple[list[Any], list[Any]]:
        body = schema.BATCH.validate(body)
        groups = body["groups"] if "groups" in body else body.get("organizations", [])  # groups wins, silently
        return body.get("users", []), groups

    def batch_user(self, item: dict[str, Any], index: int, *, creating: bool) -> Changes:
        if creating:  # active whatever status says; camelCase accepted by the schema but ignored
            fields = {
                key: item[key]
                for key in ("name", "short_name", "email", "profile_picture_url")
                if item.get(key) is not None
            }
        else:  # present fields are written as given, null included
            item = self._without_empty_email(item)
            fields = {
                key: item[key]
                for key in ("name", "short_name", "email", "profile_picture_url", "status")
                if key in item
            }
        if "metadata" in item:
            fields["metadata"] = dict(item["metadata"])
        return Changes(fields)

    def batch_group(self, item: dict[str, Any], index: int, *, creating: bool) -> Changes:
        if creating:
            schema.CREATE_ORGANIZATION.validate(item)  # "requires field: name", no "Refer to" line
            fields: dict[str, Any] = {"name": item["name"], "status": "active"}  # new groups: active, always
        else:
            fields = {key: item[key] for key in ("name", "status") if key in item}
        if "metadata" in item:
            fields["metadata"] = dict(item["metadata"])
        return Changes(fields, members=_ids(item.get("members")))
