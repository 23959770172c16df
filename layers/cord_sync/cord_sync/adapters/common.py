"""Helpers the identity-provider adapters share: reading loose JSON values, clipping echoes, event times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

MAX_EVENT_ID: Final = 256  # the canonical id's limit


def text(value: Any) -> str | None:
    """A non-blank string, stripped; None for anything else."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def clip(value: Any, limit: int = 64) -> str:
    """repr() of a value from a request, cut to `limit` characters for messages and logs."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def normalize_time(value: Any) -> str:
    """An IdP timestamp (Okta `published`, Auth0 `date` or `time`) as RFC 3339 in UTC with milliseconds.

    A time without an offset is taken as UTC.

    Raises ValueError for anything else, including times that fall outside years 1-9999 once in UTC.
    """
    if not isinstance(value, str):
        raise ValueError("not a string")
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00
        raise ValueError("out of range in UTC") from None
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
