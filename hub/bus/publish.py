"""Received PUBLISH packets straight to the bus's handler, for paho's network thread.

For each message paho builds an `MQTTMessage`, decodes its topic once for a debug log line it formats even
with no logger, walks its per-filter matcher (empty: the hub dispatches itself, hub/bus/dispatch.py) under
two locks, and decodes the topic again for every `.topic`. Together that cost more of the GIL than our own
hand-off. Here a QoS 0 or 1 PUBLISH of MQTT 3.1.1 (MQTT 3.1.1 §3.3: topic length, topic, packet id when
QoS > 0, payload) goes to `deliver(topic, payload, qos, retain, mid)` at once; nothing else changes: the
acknowledgement is still the hub's own (manual ack), after its commit.

Anything else (QoS 2, MQTT 5's properties, a topic that is not UTF-8, a packet too short for what it says)
goes to paho's own handler, which parses, refuses or logs as it always did. Like hub/bus/reads.py this
reaches into paho internals (`_handle_publish`, `_in_packet`), so it is installed only when they exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

Deliver = Callable[[str, bytes, int, bool, int], None]  # topic, payload, qos, retain, mid


class DirectPublish:
    def __init__(self, client: mqtt.Client, deliver: Deliver) -> None:
        self._client: Any = client  # private paho attributes, looked up at run time
        self._deliver = deliver
        self._paho: Callable[[], int] | None = None

    def install(self) -> bool:
        client = self._client
        if not all(hasattr(client, name) for name in ("_handle_publish", "_in_packet", "_protocol", "_manual_ack")):
            return False
        if client._protocol == mqtt.MQTTv5 or not client._manual_ack:
            return False  # properties to parse, or paho's own PUBACK to send: its handler does both
        self._paho = client._handle_publish
        client._handle_publish = self.handle
        return True

    def handle(self) -> int:
        packet = self._client._in_packet
        header: int = packet["command"]
        body: bytearray = packet["packet"]
        qos = (header & 0x06) >> 1
        size = len(body)
        if qos < 2 and size >= 2:
            end = 2 + ((body[0] << 8) | body[1])
            start = end + 2 if qos else end
            if end > 2 and start <= size:
                try:
                    topic = body[2:end].decode("utf-8")
                except UnicodeDecodeError:
                    topic = ""
                if topic:
                    mid = (body[end] << 8) | body[end + 1] if qos else 0
                    with memoryview(body) as view:
                        payload = bytes(view[start:])
                    self._deliver(topic, payload, qos, bool(header & 0x01), mid)
                    return int(mqtt.MQTT_ERR_SUCCESS)
        assert self._paho is not None
        return self._paho()
