"""Refusals into the audit log without flooding it: one row per kind of refusal per window, with a count.

2,000 anonymous POSTs in three seconds used to be 2,000 audit rows. Now the first refusal of a kind
(action, outcome, reason, address, who) in a window is written at once, the rest of that window are only
counted, and when the window has passed one summary row says how many more there were. A person reading
the log sees every kind of refusal within a minute of its first occurrence, and how many.

The throttle is a plain state machine with an injected time; AuditLog writes what it decides.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


@dataclass(slots=True)
class Window:
    started_ms: int
    suppressed: int = 0
    last_target: str = ""


@dataclass(frozen=True, slots=True)
class Summary(Generic[Key]):
    key: Key
    count: int  # refusals after the first that were not written
    last_target: str
    window_ms: int


class Throttle(Generic[Key]):
    """Which refusals to write. Windows all have the same length, so the dict's insertion order is also
    their expiry order: closing the expired ones looks only at the front."""

    def __init__(self, window_ms: int = 60_000, max_keys: int = 10_000) -> None:
        if window_ms <= 0 or max_keys <= 0:
            raise ValueError("the audit throttle needs a positive window and key count")
        self.window_ms = window_ms
        self.max_keys = max_keys
        self._open: dict[Key, Window] = {}
        self._lock = threading.Lock()

    def admit(self, key: Key, target: str, now_ms: int) -> tuple[bool, list[Summary[Key]]]:
        """(write this refusal now?, summaries of windows that have closed, to write first)."""
        with self._lock:
            due = self._close(lambda w: now_ms - w.started_ms >= self.window_ms)
            window = self._open.get(key)
            if window is not None:
                window.suppressed += 1
                window.last_target = target
                return False, due
            self._open[key] = Window(now_ms)
            if len(self._open) > self.max_keys:  # a flood of addresses: close the oldest windows early
                oldest = next(iter(self._open))
                due += self._summaries([(oldest, self._open.pop(oldest))])
            return True, due

    def expired(self, now_ms: int) -> list[Summary[Key]]:
        with self._lock:
            return self._close(lambda w: now_ms - w.started_ms >= self.window_ms)

    def drain(self) -> list[Summary[Key]]:
        """Close every window (the hub is stopping)."""
        with self._lock:
            return self._close(lambda w: True)

    def __len__(self) -> int:
        return len(self._open)

    def _close(self, done: Callable[[Window], bool]) -> list[Summary[Key]]:
        closed = []
        for key, window in self._open.items():
            if not done(window):
                break
            closed.append((key, window))
        for key, _ in closed:
            del self._open[key]
        return self._summaries(closed)

    def _summaries(self, closed: list[tuple[Key, Window]]) -> list[Summary[Key]]:
        return [Summary(k, w.suppressed, w.last_target, self.window_ms) for k, w in closed if w.suppressed]
