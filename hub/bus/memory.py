"""In-memory bus for fast unit tests: a broker object with retained messages and any number of clients.

Delivery is synchronous and in order, so a test can publish and assert on the next line. It is no
substitute for the real broker: the integration suite runs the same services over mosquitto.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.bus.base import ConnectionListener, Delivery, Handler, Message
from hub.bus.topics import matches


@dataclass
class MemoryBroker:
    retained: dict[str, Message] = field(default_factory=dict)
    clients: list[MemoryBus] = field(default_factory=list)
    published: list[Message] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _next_mid: int = 0

    def client(self, will: tuple[str, bytes] | None = None) -> MemoryBus:
        return MemoryBus(self, will)

    def route(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        with self._lock:
            self._next_mid += 1
            message = Message(topic, payload, qos, retain, self._next_mid)
            self.published.append(message)
            if retain:
                if payload:
                    self.retained[topic] = message
                else:
                    self.retained.pop(topic, None)
            clients = [c for c in self.clients if c.connected]
        for client in clients:
            client.deliver(Message(topic, payload, qos, False, message.mid))

    def messages_on(self, predicate: Callable[[str], bool]) -> list[Message]:
        return [m for m in self.published if predicate(m.topic)]


class MemoryBus:
    """A client of a MemoryBroker with the Bus interface; `drop()` simulates an ungraceful disconnect."""

    def __init__(self, broker: MemoryBroker, will: tuple[str, bytes] | None = None) -> None:
        self._broker = broker
        self._will = will
        self._subs: list[tuple[str, Handler]] = []
        self._listeners: list[ConnectionListener] = []
        self._connected = False
        self.acked: list[Message] = []

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def linked(self) -> bool:
        return self._connected

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        self._subs.append((topic_filter, handler))
        if self._connected:
            self._send_retained(topic_filter, handler)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> Delivery:
        delivery = Delivery(mid=0)
        if self._connected:
            self._broker.route(topic, payload, qos, retain)
            delivery.set_delivered()
        return delivery

    def ack(self, message: Message) -> None:
        self.acked.append(message)

    def on_connection_change(self, listener: ConnectionListener) -> None:
        self._listeners.append(listener)

    def wait_connected(self, timeout: float) -> bool:
        return self._connected

    def start(self) -> None:
        with self._broker._lock:
            self._broker.clients.append(self)
        self._connected = True
        for topic_filter, handler in self._subs:
            self._send_retained(topic_filter, handler)
        self._notify()

    def stop(self) -> None:
        self._leave()

    def drop(self) -> None:
        """Disconnect without a clean goodbye: the broker publishes the last will."""
        self._leave()
        if self._will is not None:
            self._broker.route(self._will[0], self._will[1], 1, True)

    def deliver(self, message: Message) -> None:
        for topic_filter, handler in list(self._subs):
            if matches(topic_filter, message.topic):
                handler(message)

    def _send_retained(self, topic_filter: str, handler: Handler) -> None:
        for retained in list(self._broker.retained.values()):
            if matches(topic_filter, retained.topic):
                handler(retained)

    def _leave(self) -> None:
        if not self._connected:
            return
        self._connected = False
        with self._broker._lock:
            self._broker.clients.remove(self)
        self._notify()

    def _notify(self) -> None:
        for listener in self._listeners:
            listener(self._connected)
