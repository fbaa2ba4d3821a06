"""A plain paho subscriber for the simulator tests: records what the broker delivers, waits for a match."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool

    @property
    def text(self) -> str:
        return self.payload.decode()

    def json(self) -> Any:
        return json.loads(self.payload)


class Probe:
    def __init__(self, host: str, port: int, filters: Iterable[str]) -> None:
        self.messages: list[Received] = []
        self._filters = list(filters)
        self._changed = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.on_connect = lambda c, u, f, r, p: c.subscribe([(f, 1) for f in self._filters])
        self.client.on_subscribe = lambda c, u, mid, codes, p: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()
        assert self._subscribed.wait(5), "the probe could not subscribe"

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._changed:
            self.messages.append(Received(message.topic, bytes(message.payload), bool(message.retain)))
            self._changed.notify_all()

    def on(self, topic: str) -> list[Received]:
        with self._changed:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, match: Callable[[Received], bool], timeout: float = 5.0, count: int = 1) -> list[Received]:
        """The first `count` messages matching `match`; AssertionError naming what came if they do not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [m for m in self.messages if match(m)]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    break
                self._changed.wait(left)
        seen = [(m.topic, m.text[:80]) for m in self.messages[-10:]]
        assert len(found) >= count, f"{len(found)}/{count} matching messages within {timeout} s; last: {seen}"
        return found[:count]

    def wait_text(self, topic: str, text: str, timeout: float = 5.0) -> Received:
        return self.wait_for(lambda m: m.topic == topic and m.text == text, timeout)[0]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
