"""The telemetry store interface. A store's `write` either commits every point or raises.

Points are keyed by (measurement, site, device, group, ts, seq) (see hub/storage/schema.py): writing the
same point twice overwrites it, so a replay after a crash never duplicates, and two readings that share a
millisecond never overwrite each other (the point's time is the device's `ts`, never write time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

FieldValue = float | int | bool | str


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str  # light | speaker | camera | availability | command | state | event | hub
    site: str
    device: str
    group: str
    ts_ms: int
    fields: Mapping[str, FieldValue]
    # The last part of the key: the device's per-message counter (a serial for availability, which has none).
    seq: int = 0


@dataclass(frozen=True, slots=True)
class Bucket:
    ts_ms: int  # start of the bucket
    value: float | None  # mean of the field over the bucket; None when the bucket is empty


class StoreUnavailable(RuntimeError):
    """The store could not be reached or refused the write; the caller keeps the points and retries."""


class TelemetryStore(Protocol):
    name: str

    def write(self, points: Sequence[Point]) -> None:
        """Commit every point or raise StoreUnavailable (nothing is half-kept by the caller)."""
        ...

    def query(
        self, measurement: str, device: str, field: str, since_ms: int, until_ms: int, every_ms: int
    ) -> list[Bucket]:
        """Mean of `field` per `every_ms` bucket in [since_ms, until_ms), oldest first, empty buckets out."""
        ...

    def ping(self) -> bool:
        """True when the store answers now."""
        ...

    def close(self) -> None: ...
