"""The Bus protocol. Services never import paho: they subscribe, publish and acknowledge through this."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class Delivery:
    """Tracks one publish until the broker has it (PUBACK for QoS 1, written out for QoS 0)."""

    mid: int
    _done: threading.Event = field(default_factory=threading.Event)
    _callbacks: list[Callable[[Delivery], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def delivered(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def add_done_callback(self, fn: Callable[[Delivery], None]) -> None:
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(fn)
                return
        fn(self)

    def set_delivered(self) -> None:
        with self._lock:
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
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
