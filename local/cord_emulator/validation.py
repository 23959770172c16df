"""Field-by-field request validation in the style of the 2021-2022 server (``validateInput``).

A body is checked against named required and optional fields: missing required fields first (all of them in
one message), then every received key in the order it was sent: an unknown key is ``unexpected_field``, a bad
value ``invalid_field``. Each value check returns ``None`` when the value is fine, otherwise the phrase that
completes "expected ..." in the message.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from cord_emulator.errors import (
    ApiError,
    invalid_type_message,
    missing_fields_message,
    unexpected_field_message,
)

Check = Callable[[Any], str | None]

MAX_BODY_ID_LENGTH = 128
MAX_PATH_ID_LENGTH = 320
STATUSES = ("active", "deleted")

# The "full" email format of ajv-formats, case-insensitive; "" is handled by the caller.
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
    re.IGNORECASE,
)
# An absolute URI: a scheme, then no whitespace, controls or characters RFC 3986 never allows unescaped.
_URI = re.compile(r"^[a-z][a-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]*$", re.IGNORECASE)
_BAD_PERCENT = re.compile(r"%(?![0-9a-f]{2})", re.IGNORECASE)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def js_number_string(value: float) -> str:
    """Stringify a JSON number the way JavaScript's ``String(n)`` does (``42`` → ``"42"``, ``1e21`` → ``"1e+21"``)."""
    number = float(value)  # JavaScript has doubles only: huge integers lose precision exactly like this
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    sign, digits, exponent = Decimal(repr(number)).as_tuple()
    digit_list = list(digits)
    while len(digit_list) > 1 and digit_list[-1] == 0:
        digit_list.pop()
        exponent += 1  # type: ignore[operator]
    text = "".join(map(str, digit_list))
    point = len(text) + int(exponent)  # value = 0.<text> * 10**point
    prefix = "-" if sign else ""
    if len(text) <= point <= 21:
        return prefix + text + "0" * (point - len(text))
    if 0 < point <= 21:
        return f"{prefix}{text[:point]}.{text[point:]}"
    if -6 < point <= 0:
        return f"{prefix}0.{'0' * -point}{text}"
    power = point - 1
    mantissa = text[0] + (f".{text[1:]}" if len(text) > 1 else "")
    return f"{prefix}{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"


def body_id(value: Any) -> str:
    """A validated body identifier as the stored string."""
    return value if isinstance(value, str) else js_number_string(value)


def is_valid_external_id(value: str) -> bool:
    """The path-id rule: 1-320 code points, no ``\\p{C}`` characters, no ``cord:`` prefix."""
    if not 0 < len(value) <= MAX_PATH_ID_LENGTH or value.startswith("cord:"):
        return False
    if value.isascii() and value.isprintable():
        return True
    return not any(unicodedata.category(char).startswith("C") for char in value)


def is_jwt_shaped(value: str) -> bool:
    """validator.js ``isJWT``: three dot-separated base64url segments (empty segments pass)."""
    parts = value.split(".")
    return len(parts) == 3 and all(_BASE64URL.fullmatch(part) for part in parts)


def has_bad_percent_escape(raw: str) -> bool:
    return _BAD_PERCENT.search(raw) is not None


# -- value checks ------------------------------------------------------------------------------------------


def check_string(value: Any) -> str | None:
    return None if isinstance(value, str) else "string"


def check_string_or_null(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else "string or null"


def check_email(value: Any) -> str | None:
    if isinstance(value, str) and (value == "" or _EMAIL.match(value)):
        return None
    return "email"


def check_email_or_null(value: Any) -> str | None:
    return None if value is None else check_email(value)


def check_url_or_null(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and _URI.match(value) and not has_bad_percent_escape(value)):
        return None
    return "URL or null"


def check_status(value: Any) -> str | None:
    return None if isinstance(value, str) and value in STATUSES else "active or deleted"


def _is_id(value: Any) -> bool:
    if isinstance(value, str):
        return 0 < len(value) <= MAX_BODY_ID_LENGTH
    if not is_number(value):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer literal too big for a double: JSON.parse would make it Infinity
        return False


def check_id(value: Any) -> str | None:
    return None if _is_id(value) else "identifier"


def check_external_id(value: Any) -> str | None:
    """A body id that must also pass the path-id rule (POST ``/v1/users``, POST ``/v1/organizations``)."""
    return None if _is_id(value) and is_valid_external_id(body_id(value)) else "identifier"


def check_id_list(value: Any) -> str | None:
    if isinstance(value, list) and all(_is_id(item) for item in value):
        return None
    return "array of identifiers"


def check_array(value: Any) -> str | None:
    return None if isinstance(value, list) else "array"


def check_jwt_string(value: Any) -> str | None:
    return None if isinstance(value, str) and is_jwt_shaped(value) else "JWT"


# -- field sets --------------------------------------------------------------------------------------------

USER_FIELDS: dict[str, Check] = {
    "email": check_email_or_null,
    "name": check_string_or_null,
    "short_name": check_string_or_null,
    "profile_picture_url": check_url_or_null,
    "status": check_status,
    "first_name": check_string_or_null,
    "last_name": check_string_or_null,
}
ORGANIZATION_FIELDS: dict[str, Check] = {
    "name": check_string,
    "status": check_status,
    "members": check_id_list,
}


def validate_input(
    body: Any,
    *,
    required: Mapping[str, Check] | None = None,
    optional: Mapping[str, Check] | None = None,
    prefix: str = "",
) -> dict[str, Any]:
    """Check ``body`` and return it; ``prefix`` (``users/3/``) is put in front of every field name in messages."""
    required = required or {}
    optional = {name: check for name, check in (optional or {}).items() if name not in required}
    if not isinstance(body, dict):
        if prefix:
            raise ApiError("invalid_field", invalid_type_message(prefix.rstrip("/"), "object"))
        raise ApiError("invalid_request")
    missing = [name for name in required if name not in body]
    if missing:
        raise ApiError("missing_field", missing_fields_message([prefix + name for name in missing]))
    for key, value in body.items():
        check = required.get(key) or optional.get(key)
        if check is None:
            raise ApiError("unexpected_field", unexpected_field_message(prefix + key, list(required), list(optional)))
        expected = check(value)
        if expected is not None:
            raise ApiError("invalid_field", invalid_type_message(prefix + key, expected))
    return body
