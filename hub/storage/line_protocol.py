"""InfluxDB line protocol for a Point, shared by the 1.x and 2.x stores (nanosecond precision: the point's
millisecond plus its seq in the sub-millisecond digits, so readings sharing a millisecond keep apart).

Escaping follows the line protocol reference: measurement escapes comma and space; tag keys, tag values
and field keys escape comma, equals sign and space; string field values escape backslash and double
quote. Newlines cannot be escaped outside a string field, so they are refused there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TypeVar

from hub.storage.base import FieldValue, Point
from hub.storage.schema import TAG_DEVICE, TAG_GROUP, TAG_SITE, time_ns

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ "})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_STRING = str.maketrans({"\\": "\\\\", '"': '\\"'})
_INT64 = (-(2**63), 2**63 - 1)
T = TypeVar("T")


def _no_newline(text: str, what: str) -> str:
    if "\n" in text or "\r" in text:
        raise ValueError(f"{what} {text!r} contains a newline, which line protocol cannot carry")
    return text


def escape_measurement(name: str) -> str:
    if not name:
        raise ValueError("measurement must not be empty")
    return _no_newline(name, "measurement").translate(_MEASUREMENT)


def escape_key(text: str) -> str:
    """A tag key, tag value or field key."""
    return _no_newline(text, "tag key, tag value or field key").translate(_KEY)


def field_value(key: str, value: FieldValue) -> str:
    # bool before int: bool is an int in Python, and `1i` would change the field's type in InfluxDB.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"field {key!r} = {value} does not fit a 64-bit integer")
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"field {key!r} = {value} is not finite; InfluxDB cannot store it")
        return repr(value)
    return '"' + value.translate(_STRING) + '"'


def line_protocol(point: Point) -> str:
    """One line (no trailing newline). Tags go in key order, as InfluxDB recommends for write speed;
    an empty tag is left out because line protocol has no empty tag value."""
    if not point.fields:
        raise ValueError(f"point {point.measurement}/{point.device} at {point.ts_ms} has no fields")
    head = _head(point.measurement, point.device, point.group, point.site)
    fields = ",".join([f"{_key(k)}={_value(k, v)}" for k, v in point.fields.items()])
    return f"{head} {fields} {time_ns(point.ts_ms, point.seq)}"


# The writer encodes thousands of points a second for a few thousand series with a dozen field names:
# the escaped series head and field keys are computed once each (bounded caches), and values are formatted
# by exact type first, the general field_value only for the rest (str subclasses, out-of-range numbers).


@lru_cache(maxsize=1 << 15)
def _head(measurement: str, device: str, group: str, site: str) -> str:
    tags = ((TAG_DEVICE, device), (TAG_GROUP, group), (TAG_SITE, site))
    return escape_measurement(measurement) + "".join(f",{key}={escape_key(value)}" for key, value in tags if value)


@lru_cache(maxsize=1024)
def _key(name: str) -> str:
    return escape_key(name)


def _value(key: str, value: FieldValue) -> str:
    kind = type(value)
    if kind is float and math.isfinite(value):  # type: ignore[arg-type]
        return repr(value)
    if kind is int and _INT64[0] <= value <= _INT64[1]:  # type: ignore[operator]
        return f"{value}i"
    return field_value(key, value)


def encode_lines(points: Iterable[Point]) -> bytes:
    return "\n".join([line_protocol(p) for p in points]).encode()


def chunks(points: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    """Split a batch into request-sized pieces. Each piece is written or raises; a retry of the whole
    batch after a partial failure only overwrites the pieces that landed, because points are keyed."""
    for start in range(0, len(points), size):
        yield points[start : start + size]
