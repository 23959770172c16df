"""Request validation in the style of the final server (ajv 8, ``allErrors``; cord-api.md §3).

A body is checked against a JSON Schema from ``@cord-sdk/api-types`` (the subset those schemas use: ``type``,
``enum``, ``format`` email/uri, ``minLength``/``maxLength``, ``maxItems``, ``items``, ``required``,
``properties``, ``additionalProperties``). Every failure is 400 ``invalid_request`` with one message listing all
problems, as the server's ``getErrorMessage`` builds it::

    Invalid UpdatePlatformUserVariables:
    Input "nope" for email must match format "email",
    Input {"foo":1} has unexpected field: foo.
    Refer to https://docs.cord.com/rest-apis/users/

Errors are collected in ajv's keyword order (type, enum, string/array/object keywords; for objects
``required``, then ``additionalProperties``, then ``properties`` in schema order); the message puts the
type/enum/format/length/size items first, then the ``requires`` and ``has unexpected`` lines grouped per object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cord_emulator import js
from cord_emulator.errors import ApiError
from cord_emulator.validation import check_email, check_url_or_null

Schema = dict[str, Any]

DOCS = "https://docs.cord.com/rest-apis"

ID: Schema = {"minLength": 1, "maxLength": 128, "type": ["string", "number"]}
METADATA: Schema = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
STATUS: Schema = {"enum": ["active", "deleted"], "type": "string"}
NULLABLE_STRING: Schema = {"type": ["null", "string"]}
NULLABLE_EMAIL: Schema = {"format": "email", "type": ["null", "string"]}
NULLABLE_URI: Schema = {"format": "uri", "type": ["null", "string"]}
ID_LIST: Schema = {"type": "array", "items": ID}
STRING_LIST: Schema = {"type": "array", "items": {"type": "string"}}

USER_PROPERTIES: Schema = {
    "name": NULLABLE_STRING,
    "metadata": METADATA,
    "status": STATUS,
    "email": NULLABLE_EMAIL,
    "shortName": NULLABLE_STRING,
    "short_name": NULLABLE_STRING,
    "profilePictureURL": NULLABLE_URI,
    "profile_picture_url": NULLABLE_URI,
    "first_name": NULLABLE_STRING,
    "last_name": NULLABLE_STRING,
}
GROUP_PROPERTIES: Schema = {"name": {"type": "string"}, "metadata": METADATA, "status": STATUS, "members": ID_LIST}


def _object(properties: Schema, required: tuple[str, ...] = ()) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


BATCH_USER = _object({**USER_PROPERTIES, "id": ID}, ("id",))
BATCH_GROUP = _object({**GROUP_PROPERTIES, "id": ID}, ("id",))


@dataclass(frozen=True, slots=True)
class TypeSchema:
    """A named request type: the name and ``description`` URL appear in its error messages."""

    name: str
    schema: Schema
    description: str | None = None

    def validate(self, body: Any) -> dict[str, Any]:
        """Return ``body`` if it conforms, else raise 400 ``invalid_request`` with the ajv-style message."""
        refer = f"\nRefer to {self.description}" if self.description else ""
        if not isinstance(body, dict):
            raise ApiError("invalid_request", f"Invalid {self.name}:\nExpected JSON object.{refer}")
        errors: list[_Error] = []
        _check(self.schema, body, "", errors)
        if errors:
            items = ",\n".join(_lines(errors))
            raise ApiError("invalid_request", f"Invalid {self.name}:\n{items}.{refer}")
        return body


UPDATE_USER = TypeSchema(
    "UpdatePlatformUserVariables",
    _object({**USER_PROPERTIES, "addGroups": STRING_LIST, "removeGroups": STRING_LIST}),
    f"{DOCS}/users/",
)
CREATE_USER = TypeSchema(
    "CreatePlatformUserVariables", _object({**USER_PROPERTIES, "id": ID}, ("id",)), f"{DOCS}/users/"
)
DELETE_USER = TypeSchema(
    "DeleteUserVariables",
    _object({"permanently_delete": {"type": "boolean"}}, ("permanently_delete",)),
    f"{DOCS}/users/",
)
UPDATE_GROUP = TypeSchema("UpdatePlatformGroupVariables", _object(GROUP_PROPERTIES), f"{DOCS}/groups/")
CREATE_ORGANIZATION = TypeSchema(
    "CreatePlatformOrganizationVariables", _object({"id": ID, **GROUP_PROPERTIES}, ("id", "name"))
)
UPDATE_GROUP_MEMBERS = TypeSchema(
    "UpdatePlatformGroupMembersVariables", _object({"add": ID_LIST, "remove": ID_LIST}), f"{DOCS}/groups/"
)
BATCH = TypeSchema(
    "BatchAPIVariables",
    _object(
        {
            "users": {"maxItems": 10_000, "type": "array", "items": BATCH_USER},
            "organizations": {"maxItems": 1_000, "type": "array", "items": BATCH_GROUP},
            "groups": {"maxItems": 1_000, "type": "array", "items": BATCH_GROUP},
        }
    ),
    f"{DOCS}/batch/",
)


# -- the validator -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Error:
    keyword: str  # type | enum | format | minLength | maxLength | maxItems | required | additionalProperties
    path: str  # JSON pointer without the leading slash
    data: Any
    detail: str = ""  # the expected types, the format, the missing or unexpected property, the limit


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "number" if js.is_finite_number(value) else "non-finite number"  # ajv strictNumbers


def _child(path: str, key: str | int) -> str:
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{path}/{token}" if path else token


def _format_ok(name: str, value: str) -> bool:
    if name == "email":
        return check_email(value) is None  # ajv-formats "full", and the server also allows ""
    return check_url_or_null(value) is None  # "uri"


def _check(schema: Schema, data: Any, path: str, errors: list[_Error]) -> None:
    kind = _json_type(data)
    types = schema.get("type")
    type_list = [types] if isinstance(types, str) else types or []
    if type_list and kind not in type_list:
        errors.append(_Error("type", path, data, " or ".join(type_list)))
    if "enum" in schema and not (isinstance(data, str) and data in schema["enum"]):
        errors.append(_Error("enum", path, data, " or ".join(schema["enum"])))
    if kind == "string":
        length = len(data)  # ajv counts code points (ucs2length), as len() does
        if "maxLength" in schema and length > schema["maxLength"]:
            errors.append(_Error("maxLength", path, data, str(schema["maxLength"])))
        if "minLength" in schema and length < schema["minLength"]:
            errors.append(_Error("minLength", path, data, str(schema["minLength"])))
        if "format" in schema and not _format_ok(schema["format"], data):
            errors.append(_Error("format", path, data, schema["format"]))
    elif kind == "array":
        if "maxItems" in schema and len(data) > schema["maxItems"]:
            errors.append(_Error("maxItems", path, data, str(schema["maxItems"])))
        if "items" in schema:
            for index, item in enumerate(data):
                _check(schema["items"], item, _child(path, index), errors)
    elif kind == "object":
        errors.extend(_Error("required", path, data, name) for name in schema.get("required", ()) if name not in data)
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key in js.keys(data):
            if key in properties:
                continue
            if extra is False:
                errors.append(_Error("additionalProperties", path, data, key))
            elif isinstance(extra, dict):
                _check(extra, data[key], _child(path, key), errors)
        for key, subschema in properties.items():
            if key in data:
                _check(subschema, data[key], _child(path, key), errors)


def _fields(names: list[str]) -> str:
    if len(names) == 1:
        return f"field: {names[0]}"
    return f"fields: {', '.join(names[:-1])} and {names[-1]}"


def _lines(errors: list[_Error]) -> list[str]:
    """``getErrorMessage``: one item per error, the required and unexpected ones grouped per object, last."""
    lines: list[str] = []
    grouped: dict[str, dict[str, tuple[Any, list[str]]]] = {"required": {}, "additionalProperties": {}}
    for error in errors:
        data = js.stringify(error.data)
        if error.keyword in grouped:
            grouped[error.keyword].setdefault(error.path, (error.data, []))[1].append(error.detail)
        elif error.keyword == "type":
            lines.append(f"Input {data} for {error.path} must be type {error.detail}")
        elif error.keyword == "enum":
            lines.append(f"Input {data} for {error.path} must be equal to one of the allowed values: {error.detail}")
        elif error.keyword == "format":
            lines.append(f'Input {data} for {error.path} must match format "{error.detail}"')
        elif error.keyword == "maxLength":
            lines.append(f"Input {data} for {error.path} must NOT have more than {error.detail} characters")
        elif error.keyword == "minLength":
            lines.append(f"Input {data} for {error.path} must NOT have fewer than {error.detail} characters")
        elif error.keyword == "maxItems":
            lines.append(f"Input has {len(error.data)} items and must NOT have more than {error.detail} items")
    for obj, names in grouped["required"].values():
        lines.append(f"Input {js.stringify(obj)} requires {_fields(names)}")
    for obj, names in grouped["additionalProperties"].values():
        lines.append(f"Input {js.stringify(obj)} has unexpected {_fields(names)}")
    return lines
