"""JavaScript behaviours the final server's messages and pagination tokens depend on.

``stringify`` is ``JSON.stringify`` (integer-like keys first, numbers as JavaScript prints them, non-finite
numbers as ``null``); ``btoa``/``atob`` are the browser globals Node provides (Latin-1 only, forgiving base64);
``parse_int`` is ``Number.parseInt`` without a radix; ``iso_date`` is ``Date.prototype.toISOString``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from cord_emulator.validation import is_number, js_number_string

_ARRAY_INDEX_LIMIT = 2**32 - 1
_PARSE_INT = re.compile(r"^[\s\ufeff]*([+-]?)(?:(0[xX])([0-9a-fA-F]+)|([0-9]+))")
_ASCII_WHITESPACE = re.compile(r"[\t\n\f\r ]")


def is_finite_number(value: Any) -> bool:
    """A JSON number JavaScript can hold (a huge integer literal becomes Infinity there)."""
    if not is_number(value):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _is_array_index(key: str) -> bool:
    return key.isdigit() and (key == "0" or not key.startswith("0")) and int(key) < _ARRAY_INDEX_LIMIT


def keys(obj: dict[str, Any]) -> list[str]:
    """An object's keys in JavaScript's order: integer-like keys ascending, then the rest as inserted."""
    indexes = sorted((key for key in obj if _is_array_index(key)), key=int)
    return indexes + [key for key in obj if not _is_array_index(key)]


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` for decoded JSON."""
    if value is None or value is True or value is False:
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if is_number(value):
        return js_number_string(value) if is_finite_number(value) else "null"
    if isinstance(value, list):
        return "[" + ",".join(stringify(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{stringify(key)}:{stringify(value[key])}" for key in keys(value)) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def iso_date(timestamp: float) -> str:
    """``new Date(timestamp * 1000).toISOString()``: ``2026-12-04T15:24:47.814Z``."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def btoa(text: str) -> str | None:
    """``btoa(text)``, or ``None`` where the browser function throws (a character above U+00FF)."""
    try:
        return base64.b64encode(text.encode("latin-1")).decode("ascii")
    except UnicodeEncodeError:
        return None


def atob(text: str) -> str | None:
    """``atob(text)`` (forgiving base64, Latin-1 result), or ``None`` where it throws."""
    data = _ASCII_WHITESPACE.sub("", text)
    if len(data) % 4 == 0 and data.endswith("="):
        data = data[:-2] if data.endswith("==") else data[:-1]
    if len(data) % 4 == 1 or not re.fullmatch(r"[A-Za-z0-9+/]*", data):
        return None
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None


def parse_int(text: str) -> int | None:
    """``Number.parseInt(text)``; ``None`` for NaN."""
    match = _PARSE_INT.match(text)
    if match is None:
        return None
    sign, hex_prefix, hex_digits, decimal_digits = match.groups()
    number = int(hex_digits, 16) if hex_prefix else int(decimal_digits)
    return -number if sign == "-" else number
