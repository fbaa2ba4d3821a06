"""Failed-login limits that never lock the rightful user out.

Each failure counts against several keys, each with its own rule (see `LOGIN_RULES`):

- the account *from this address* (`pair:`): the guesser's own door. A few free tries, then a wait that
  doubles with each further failure, up to 15 minutes;
- the account from anywhere (`phone:`), and the address for any account (`addr:`): many guessers at one
  account, one guesser trying many accounts. Far more free tries and a short cap, so the head, or a
  neighbour behind the same NAT, waits seconds, never a quarter of an hour.

A stranger's five wrong guesses for the head's number therefore slow the stranger, not the head on her
own phone, and not the other accounts behind the stranger's address.

The waits are a pure function of (failures, last failure, now, rule); the tracker keeps only those two
numbers per key, in memory (a restart forgets them, which costs an attacker a restart they cannot cause).
A key is forgotten `forget_s` after its last failure.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Limit:
    free: int = 5  # failures allowed with no wait
    base_s: float = 1.0  # the wait after the first failure past `free`; doubles with each further one
    cap_s: float = 15 * 60
    forget_s: float = 24 * 3600  # a key with no failure for this long starts over

    def __post_init__(self) -> None:
        if self.free < 1 or self.base_s <= 0 or self.cap_s < self.base_s or self.forget_s < self.cap_s:
            raise ValueError(f"inconsistent login limit {self}: need free >= 1, 0 < base <= cap <= forget")


def delay_s(failures: int, rule: Limit) -> float:
    """How long after its last failure a key must wait, having failed `failures` times in a row."""
    if failures < rule.free:
        return 0.0
    # 2**n overflows float for huge n; the cap is reached long before 64 doublings.
    return min(rule.cap_s, rule.base_s * 2.0 ** min(failures - rule.free, 64))


def retry_after(failures: int, last_s: float, now_s: float, rule: Limit) -> int | None:
    """Whole seconds until another attempt is allowed (at least 1), or None when allowed now."""
    if now_s - last_s >= rule.forget_s:
        return None
    remaining = last_s + delay_s(failures, rule) - now_s
    return max(1, math.ceil(remaining)) if remaining > 0 else None


# Key prefix -> rule. Logins count against all three; invite codes only against the address.
LOGIN_RULES: Mapping[str, Limit] = {
    "pair": Limit(free=5, cap_s=15 * 60),
    "phone": Limit(free=20, cap_s=60),
    "addr": Limit(free=20, cap_s=60),
    "invite": Limit(free=5, cap_s=15 * 60),
}


class LoginKeys(NamedTuple):
    pair: str
    phone: str
    addr: str


def login_keys(phone: str, address: str | None) -> LoginKeys:
    return LoginKeys(f"pair:{phone}|{address}", f"phone:{phone}", f"addr:{address}")


@dataclass(slots=True)
class _Count:
    failures: int
    last_s: float


class FailureTracker:
    """Failures per key, bounded: at most `max_keys` keys (forgotten ones are swept first, then the least
    recently failed), so a flood of made-up numbers cannot fill memory."""

    def __init__(self, rules: Mapping[str, Limit] = LOGIN_RULES, max_keys: int = 10_000) -> None:
        self.rules = dict(rules)
        self.max_keys = max_keys
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()

    def rule(self, key: str) -> Limit:
        prefix = key.partition(":")[0]
        try:
            return self.rules[prefix]
        except KeyError:
            raise ValueError(f"no login limit for key {key!r}: add its prefix to the rules") from None

    def retry_after(self, keys: Iterable[str], now_s: float) -> int | None:
        """The longest wait any of the keys imposes."""
        waits = []
        with self._lock:
            for key in keys:
                count = self._counts.get(key)
                if count is not None:
                    waits.append(retry_after(count.failures, count.last_s, now_s, self.rule(key)))
        found = [w for w in waits if w is not None]
        return max(found) if found else None

    def fail(self, keys: Iterable[str], now_s: float) -> None:
        with self._lock:
            for key in keys:
                rule = self.rule(key)
                count = self._counts.pop(key, None)
                if count is None or now_s - count.last_s >= rule.forget_s:
                    count = _Count(0, now_s)
                count.failures += 1
                count.last_s = now_s
                self._counts[key] = count  # re-insert: dict order is least recently failed first
            if len(self._counts) > self.max_keys:
                self._sweep(now_s)

    def clear(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._counts.pop(key, None)

    def failures(self, key: str) -> int:
        count = self._counts.get(key)
        return count.failures if count else 0

    def __len__(self) -> int:
        return len(self._counts)

    def _sweep(self, now_s: float) -> None:
        for key in [k for k, c in self._counts.items() if now_s - c.last_s >= self.rule(k).forget_s]:
            del self._counts[key]
        while len(self._counts) > self.max_keys:
            del self._counts[next(iter(self._counts))]
