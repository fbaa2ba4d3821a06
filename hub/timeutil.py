"""Small pure helpers for times and durations used by the API."""

from __future__ import annotations

import re
import time
from datetime import datetime

_DURATION = re.compile(r"^(\d{1,9})(ms|s|m|h|d)?$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_duration_ms(text: str) -> int:
    """'30s', '5m', '1h', '2d', '500ms' or bare seconds -> milliseconds; ValueError names the format."""
    match = _DURATION.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration: use a positive number with ms, s, m, h or d (e.g. 5m)")
    return int(match.group(1)) * _UNIT_MS[match.group(2) or "s"]


def to_ms(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError(f"{value.isoformat()} has no time zone: add Z or +07:00")
    return int(value.timestamp() * 1000)


def auto_every_ms(span_ms: int, max_buckets: int = 240) -> int:
    """A round bucket width that keeps a series under `max_buckets` points (phones on weak 4G)."""
    for step in (10_000, 60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000):
        if span_ms // step <= max_buckets:
            return step
    return max(86_400_000, span_ms // max_buckets)
