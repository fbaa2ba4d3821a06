"""Where a reading goes in time when the device's clock cannot be trusted. Pure: no I/O.

A point's time is the device's `ts` while it lies within the bounds around the ingest time. Otherwise:
- a clock that counts seconds (ts × 1000 within the bounds) is read as seconds: deterministic, so a
  redelivered message gets the same time;
- any other clock (hours off, reset to 1970, frozen) gets a per-device offset, set the first time it is
  needed to (ingest time − device ts) and kept while the corrected time stays within the bounds. The device's
  own spacing of readings survives, and readings of one batch are no longer stacked on one instant. The
  offsets are committed with the batch that set them (hub/ingest/outbox.py), so a message committed but
  not acknowledged before a crash comes back after the restart with the same time, hence the same key.

The bounds are inclusive: a device exactly `ahead_ms` ahead or `behind_ms` behind keeps its own time.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClockBounds:
    ahead_ms: int
    behind_ms: int

    def holds(self, ts_ms: int, now_ms: int) -> bool:
        return now_ms - self.behind_ms <= ts_ms <= now_ms + self.ahead_ms


def place(
    device: str, ts: int, now_ms: int, bounds: ClockBounds, offsets: MutableMapping[str, int]
) -> tuple[int, bool]:
    """(the point's time in ms, whether the device's clock was replaced). May set `offsets[device]`."""
    if bounds.holds(ts, now_ms):
        return ts, False
    if bounds.holds(ts * 1000, now_ms):
        return ts * 1000, True
    offset = offsets.get(device)
    if offset is None or not bounds.holds(ts + offset, now_ms):
        offset = offsets[device] = now_ms - ts
    return ts + offset, True
