"""Lets a fleet's devices connect one after another instead of all in the same instant.

A whole fleet connecting at once (the start, a power cabinet coming back, the broker restarting) is a
burst that a real broker takes in its stride but the embedded one does not: amqtt 0.12 walks its table of
subscriptions with awaits in between while it accepts a connection, so another client subscribing at that
moment kills the connection ("dictionary changed size during iteration"), and the hub then misses devices.
A device therefore holds the gate from its connect until the broker has acknowledged its subscriptions
(about a millisecond on a local broker), and the next one waits for it.

Loop thread only, like everything a DeviceLink does.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Protocol

HOLD_S: Final = 5.0  # a broker that never answers must not stall the others for longer (under load a
# SUBACK can take seconds: letting the next device in early would bring the race back)


class _Later(Protocol):
    def cancel(self) -> None: ...


class ConnectGate:
    def __init__(self, call_later: Callable[[float, Callable[[], None]], _Later], width: int = 1,
                 hold_s: float = HOLD_S) -> None:
        self._call_later, self._width, self._hold_s = call_later, width, hold_s
        self._waiting: OrderedDict[str, Callable[[], None]] = OrderedDict()
        self._holders: dict[str, _Later] = {}

    @property
    def busy(self) -> int:
        return len(self._holders)

    def enter(self, key: str, fn: Callable[[], None]) -> None:
        """Run `fn` once the gate has room; a key already waiting keeps its place with the newer `fn`."""
        self._waiting[key] = fn
        self._admit()

    def leave(self, key: str) -> None:
        """Done connecting (or gave up). Idempotent: SUBACK, a disconnect and the hold timer may all call it."""
        self._waiting.pop(key, None)
        timer = self._holders.pop(key, None)
        if timer is not None:
            timer.cancel()
            self._admit()

    def _admit(self) -> None:
        while self._waiting and len(self._holders) < self._width:
            key, fn = self._waiting.popitem(last=False)
            self._holders[key] = self._call_later(self._hold_s, functools.partial(self.leave, key))
            fn()
