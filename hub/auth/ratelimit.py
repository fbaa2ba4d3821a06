"""Failed-login limits: `limit` failures within `window` seconds lock a key (an account, an address)
until the oldest of them ages out. The decision is a pure function of the failure times; the tracker
only keeps those times, in memory (a restart forgets them, which costs an attacker a restart they
cannot cause)."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    limit: int = 5
    window_s: float = 15 * 60


def retry_after(failures: Sequence[float], now: float, rule: Limit) -> int | None:
    """Seconds until another attempt is allowed, or None when allowed now. `failures` is oldest first."""
    recent = [t for t in failures if t > now - rule.window_s]
    if len(recent) < rule.limit:
        return None
    # The attempt after this one is allowed once the limit-th most recent failure leaves the window.
    return max(1, math.ceil(recent[-rule.limit] + rule.window_s - now))


class FailureTracker:
    """Failure times per key, bounded: each key keeps at most `limit` times, and at most `max_keys` keys
    (expired ones are swept first, then the oldest), so a flood of made-up numbers cannot fill memory."""

    def __init__(self, rule: Limit = Limit(), max_keys: int = 10_000) -> None:
        self.rule = rule
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: Iterable[str], now: float) -> int | None:
        """The longest wait any of the keys imposes."""
        with self._lock:
            waits = [retry_after(self._failures.get(k, ()), now, self.rule) for k in keys]
        found = [w for w in waits if w is not None]
        return max(found) if found else None

    def fail(self, keys: Iterable[str], now: float) -> None:
        with self._lock:
            for key in keys:
                times = self._failures.pop(key, None) or deque(maxlen=self.rule.limit)
                times.append(now)
                self._failures[key] = times  # re-insert: dict order is least recently failed first
            if len(self._failures) > self.max_keys:
                self._sweep(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _sweep(self, now: float) -> None:
        cutoff = now - self.rule.window_s
        for key in [k for k, times in self._failures.items() if times[-1] <= cutoff]:
            del self._failures[key]
        while len(self._failures) > self.max_keys:
            del self._failures[next(iter(self._failures))]
