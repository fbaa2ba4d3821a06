"""The Bus protocol. Services never import paho: they subscribe, publish and acknowledge through this."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    mid: int = 0  # broker message id; what `Bus.ack` acknowledges for QoS > 0


Handler = Callable[[Message], None]
ConnectionListener = Callable[[bool], None]


# One lock for every Delivery: each holds it for a few attribute writes, and a hub publishes thousands at a
# time (a config push to every light), so a Lock plus an Event (a Condition, another lock) each cost more
# than they guard.
_LOCK = threading.Lock()


@dataclass(slots=True)
class Delivery:
    """Tracks one publish until the broker has it (PUBACK for QoS 1, written out for QoS 0). The Event a
    waiter needs is made only when someone waits: most deliveries are followed by a callback or not at all."""

    mid: int
    _delivered: bool = False
    _waiter: threading.Event | None = None
    _callbacks: list[Callable[[Delivery], None]] | None = None

    @property
    def delivered(self) -> bool:
        return self._delivered

    def wait(self, timeout: float | None = None) -> bool:
        with _LOCK:
            if self._delivered:
                return True
            if self._waiter is None:
                self._waiter = threading.Event()
            waiter = self._waiter
        return waiter.wait(timeout)

    def add_done_callback(self, fn: Callable[[Delivery], None]) -> None:
        with _LOCK:
            if not self._delivered:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(fn)
                return
        fn(self)

    def set_delivered(self) -> None:
        with _LOCK:
            self._delivered = True
            waiter, callbacks, self._callbacks = self._waiter, self._callbacks, None
        if waiter is not None:
            waiter.set()
        for fn in callbacks or ():
            fn(self)


class Bus(Protocol):
    @property
    def connected(self) -> bool: ...

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        """Register a handler; the subscription is (re)made on every connect."""
        ...

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> Delivery: ...

    def ack(self, message: Message) -> None:
        """Acknowledge a received QoS>0 message to the broker (manual ack: only after it is durable)."""
        ...

    def on_connection_change(self, listener: ConnectionListener) -> None: ...

    def wait_connected(self, timeout: float) -> bool:
        """Wait until connected with every subscription in place; False on timeout."""
        ...

    def start(self) -> None: ...

    def stop(self) -> None: ...
