"""Buffered reads under paho's packet reader: every packet comes out whole, whatever the chunking."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub.bus.reads import BufferedReads


def publish_packet(topic: str, payload: bytes) -> bytes:
    """An MQTT 3.1.1 PUBLISH at QoS 0 (fixed header, remaining length, topic, payload)."""
    body = struct.pack("!H", len(topic)) + topic.encode() + payload
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (128 if length else 0))
        if not length:
            break
    return bytes([0x30]) + bytes(encoded) + body


@pytest.fixture
def wired() -> Iterator[tuple[mqtt.Client, socket.socket, list[tuple[str, bytes]]]]:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    got: list[tuple[str, bytes]] = []
    client.on_message = lambda _c, _u, msg: got.append((msg.topic, bytes(msg.payload)))
    assert BufferedReads(client).install()
    client._sock = ours  # the broker's end is `theirs`
    yield client, theirs, got
    client._sock = None
    ours.close()
    theirs.close()


def test_many_small_packets_from_one_recv_and_a_large_one_across_many(
    wired: tuple[mqtt.Client, socket.socket, list[tuple[str, bytes]]],
) -> None:
    client, broker, got = wired
    sent = [(f"t/{i}", f"m{i}".encode() * (i % 7 + 1)) for i in range(500)]
    sent.insert(250, ("t/big", bytes(range(256)) * 600))  # 150 KiB: more than one buffer
    stream = b"".join(publish_packet(t, p) for t, p in sent)
    for start in range(0, len(stream), 9_999):  # chunks that cut headers and bodies anywhere
        broker.sendall(stream[start : start + 9_999])
        client.loop_read()
    while len(got) < len(sent) and client.loop_read() == mqtt.MQTT_ERR_SUCCESS:
        pass
    assert got == sent
