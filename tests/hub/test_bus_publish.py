"""PUBLISH packets straight to the bus's handler: the same topic, payload, QoS, retain flag and packet id as
paho's own parsing, and paho's handler for everything the direct path does not take."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub.bus.publish import DirectPublish
from hub.bus.reads import BufferedReads

Got = tuple[str, bytes, int, bool, int]


def packet(topic: bytes, payload: bytes, qos: int, mid: int = 0, retain: bool = False) -> bytes:
    """An MQTT 3.1.1 PUBLISH (fixed header, remaining length, topic, packet id when QoS > 0, payload)."""
    body = struct.pack("!H", len(topic)) + topic + (struct.pack("!H", mid) if qos else b"") + payload
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (128 if length else 0))
        if not length:
            break
    return bytes([0x30 | qos << 1 | int(retain)]) + bytes(encoded) + body


@pytest.fixture
def wired() -> Iterator[tuple[mqtt.Client, socket.socket, list[Got], list[Got]]]:
    """A manual-ack client reading from a socket pair: (client, broker's end, direct, via paho)."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311, manual_ack=True)
    direct: list[Got] = []
    via_paho: list[Got] = []

    def on_message(_c: mqtt.Client, _u: object, m: mqtt.MQTTMessage) -> None:
        try:
            topic = m.topic
        except UnicodeDecodeError:  # what MqttBus._on_message meets for such a topic
            topic = "(not UTF-8)"
        via_paho.append((topic, bytes(m.payload), m.qos, m.retain, m.mid))

    client.on_message = on_message
    assert BufferedReads(client).install()
    assert DirectPublish(client, lambda *got: direct.append(got)).install()
    client._sock = ours
    yield client, theirs, direct, via_paho
    client._sock = None
    ours.close()
    theirs.close()


def read_all(client: mqtt.Client, broker: socket.socket, stream: bytes) -> None:
    broker.sendall(stream)
    client.loop_read()


def test_qos_0_and_1_go_direct_with_what_paho_would_have_parsed(
    wired: tuple[mqtt.Client, socket.socket, list[Got], list[Got]],
) -> None:
    client, broker, direct, via_paho = wired
    sent: list[Got] = [
        ("hamlet/v1/s/light/l1/telemetry", b'{"ts": 1, "seq": 0}', 1, False, 7),
        ("hamlet/v1/s/light/l1/state", b"", 1, True, 65535),
        ("hamlet/v1/hub/availability", b"online", 0, True, 0),
        ("đèn/ngõ-3", bytes(range(256)) * 300, 1, False, 1),  # non-ASCII topic, a payload over 64 KiB
    ]
    read_all(client, broker, b"".join(packet(t.encode(), p, q, m, r) for t, p, q, r, m in sent))
    assert direct == sent
    assert via_paho == []
    assert all(type(got[1]) is bytes for got in direct)


def test_qos_2_and_a_topic_that_is_not_utf8_are_left_to_paho(
    wired: tuple[mqtt.Client, socket.socket, list[Got], list[Got]],
) -> None:
    client, broker, direct, via_paho = wired
    read_all(client, broker, packet(b"a/b", b"x", 2, 9) + packet(b"a/\xff", b"y", 1, 10))
    assert direct == []
    assert [m[:3] for m in via_paho] == [("(not UTF-8)", b"y", 1)]
    assert 9 in client._in_messages  # paho's QoS 2 flow holds it until the broker's PUBREL
