"""The `ts` and `seq` every device -> hub JSON message carries."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]  # a device's clock: ms since the epoch (UTC)


def now_ms() -> int:
    """Wall clock in ms since the epoch (UTC), the unit of every `ts` in the contract."""
    return time.time_ns() // 1_000_000


class Stamper:
    """Per-device clock and counter: `ts` strictly increases and `seq` counts every message.

    Two messages in the same millisecond would be indistinguishable to a store keyed on (device, ts), and a
    wall clock can step back (NTP); so `ts` is max(now, last + 1). `seq` runs over all of the device's JSON
    messages (state, telemetry, ack, event), so the hub can count loss and duplication end to end.
    """

    def __init__(self, seq_start: int = 0, clock: Clock = now_ms) -> None:
        self._clock = clock
        self._next_seq = seq_start
        self._last_ts = -1

    def next(self) -> tuple[int, int]:
        """The (ts, seq) of the next message."""
        ts = max(self._clock(), self._last_ts + 1)
        seq = self._next_seq
        self._last_ts = ts
        self._next_seq += 1
        return ts, seq

    @property
    def seq(self) -> int:
        """The seq the next message will carry."""
        return self._next_seq
