"""The Cord error envelope: every ``/v1`` failure is ``{"error": code, "message": message}``.

The default statuses and messages follow the server's error table (cord-api.md §4.4). Handlers raise the names of
the 2021-2022 era (``application_not_found``, ``invalid_app_token``, ``organization_not_found``); an era renames
them on the way out (``Era.present``), which is why an error remembers whether its message was the default.
"""

from __future__ import annotations

from collections.abc import Sequence

DEFAULTS: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "Invalid request."),
    "unexpected_field": (400, "Unexpected field."),
    "missing_field": (400, "Missing field in request."),
    "invalid_field": (400, "Invalid field type."),
    "application_not_found": (401, "Platform application not found."),
    "invalid_app_token": (401, "Invalid app token."),
    "invalid_access_token": (401, "Invalid access token."),
    "expired_access_token": (401, "Access token has expired."),
    "missing_authorization_header": (401, "Missing authorization header."),
    "invalid_authorization_header": (401, "Invalid authorization header."),
    "user_not_found": (401, "Platform user not found."),
    "organization_not_found": (401, "Platform organization not found."),
    "user_already_exists": (409, "Platform user already exists."),
    "organization_already_exists": (409, "Platform organization already exists."),
    # names of the final server (2024): see era.py for when they are used
    "project_not_found": (401, "Platform project not found."),
    "invalid_project_token": (401, "Invalid project token."),
    "group_not_found": (401, "Platform group not found."),
    "group_already_exists": (409, "Platform group already exists."),
    "invalid_user_id": (401, "Invalid user id"),
}


class ApiError(Exception):
    """A known API failure; the HTTP layer turns it into the JSON envelope."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None) -> None:
        default_status, default_message = DEFAULTS[code]
        self.code = code
        self.defaulted = message is None
        self.message = message if message is not None else default_message
        self.status = status if status is not None else default_status
        super().__init__(f"{self.status} {code}: {self.message}")

    def body(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


class ServerCrash(Exception):
    """Where the real server throws an unexpected exception: a bare 500, without a traceback on stderr."""


def join_and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: the way the server lists names in messages."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def fields_phrase(fields: Sequence[str], kind: str) -> str:
    """``required field: a.`` / ``optional fields: a, b and c.``"""
    noun = "field" if len(fields) == 1 else "fields"
    return f"{kind} {noun}: {join_and(fields)}."


def missing_fields_message(fields: Sequence[str]) -> str:
    return f"Missing {fields_phrase(fields, 'required')}"


def unexpected_field_message(name: str, required: Sequence[str], optional: Sequence[str]) -> str:
    parts = [
        f"{len(group)} {fields_phrase(group, kind)}"
        for group, kind in ((required, "required"), (optional, "optional"))
        if group
    ]
    return f"{name} is not a valid field name for this request. Expected {' '.join(parts)}"


def invalid_type_message(name: str, expected: str) -> str:
    return f"Input type for {name} is not valid, expected {expected}."


def users_not_found_message(missing: Sequence[str]) -> str:
    """``Platform user a not found.`` / ``Platform users a and b not found.`` (empty list kept, as the server does)."""
    noun = "users" if len(missing) > 1 else "user"
    return f"Platform {noun} {join_and(missing)} not found."
