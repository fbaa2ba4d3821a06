"""Checks on names that reach a query from outside the hub (a request's field name, a bucket width)."""

from __future__ import annotations

import re

# Field names come from a request, so they are checked before they are put in any query text.
FIELD_RE = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def check_field(field: str) -> str:
    """The field name unchanged, or ValueError naming it."""
    if not FIELD_RE.fullmatch(field):
        raise ValueError(f"field {field!r} is not a valid field name (expected {FIELD_RE.pattern})")
    return field


def check_window(since_ms: int, until_ms: int, every_ms: int) -> None:
    """A query window must be non-empty and bucketed by a positive width (else the SQL divides by 0)."""
    if every_ms <= 0:
        raise ValueError(f"every_ms must be positive, got {every_ms}")
    if until_ms <= since_ms:
        raise ValueError(f"until_ms ({until_ms}) must be after since_ms ({since_ms})")
