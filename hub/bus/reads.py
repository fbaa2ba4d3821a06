"""Buffered reads for paho's network thread: one recv for many packets instead of three recvs per packet.

paho reads a packet with one recv for its type byte, one per length byte and one for the body, and runs
one select() per packet. Each of those calls releases the GIL, and in a process where the committer, the
writer and the services also want it, the network thread then waits to get it back: the hub received
slower than a lone subscriber, though it does less per message. Here one recv of up to 64 KiB feeds the
packet reader, and one loop_read handles every packet that is buffered or readable. paho's own parsing,
state and callbacks are unchanged; only where the bytes come from is.

This reaches into two paho internals (`_sock_recv`, `_packet_read`), so it is installed only when they
exist and the connection is plain TCP; otherwise paho reads as it always did.
"""

from __future__ import annotations

import ssl
from typing import Any

import paho.mqtt.client as mqtt

CHUNK = 65_536
# Packets handled per loop_read before paho gets its loop back (to write PUBACKs, keep alive), as long as
# none is left in the buffer: select() cannot see bytes that are already here.
MAX_PACKETS = 1000


class BufferedReads:
    def __init__(self, client: mqtt.Client) -> None:
        self._client: Any = client  # private paho attributes, looked up at run time
        self._sock: object = None
        self._buf = b""
        self._pos = 0

    def install(self) -> bool:
        client = self._client
        if not all(hasattr(client, name) for name in ("_sock_recv", "_packet_read", "_loop_rc_handle")):
            return False
        client._sock_recv = self.recv
        client.loop_read = self.loop_read
        return True

    def recv(self, bufsize: int) -> bytes:
        sock = self._client._sock
        if sock is None:
            raise ConnectionError("self._sock is None")
        if sock is not self._sock:  # a new connection: nothing buffered belongs to it
            self._sock, self._buf, self._pos = sock, b"", 0
        if self._pos >= len(self._buf):
            try:
                data = sock.recv(CHUNK)  # BlockingIOError passes through: paho reads it as "no more now"
            except ssl.SSLWantReadError as exc:
                raise BlockingIOError() from exc
            if not data:
                return b""  # closed by the broker: paho sees the empty read
            self._buf, self._pos = data, 0
        start = self._pos
        self._pos = min(start + bufsize, len(self._buf))
        return self._buf[start : self._pos]

    def loop_read(self, max_packets: int = 1) -> int:
        client = self._client
        if client._sock is None:
            return int(mqtt.MQTT_ERR_NO_CONN)
        handled = 0
        while True:
            rc = client._packet_read()
            if rc > 0:
                return int(client._loop_rc_handle(rc))
            if rc == mqtt.MQTT_ERR_AGAIN:
                return int(mqtt.MQTT_ERR_SUCCESS)
            handled += 1
            if handled >= MAX_PACKETS and self._pos >= len(self._buf):
                return int(mqtt.MQTT_ERR_SUCCESS)
