"""A device clock a test moves by hand (simulators take any callable returning ms since the epoch)."""

from __future__ import annotations

MINUTE = 60_000


class ControlledClock:
    def __init__(self, start_ms: int) -> None:
        self._now = start_ms

    def __call__(self) -> int:
        return self._now  # an int read is atomic: the simulator thread may call this at any time

    def advance(self, ms: int) -> None:
        self._now += ms

    def set(self, ms: int) -> None:
        self._now = ms
