"""A TCP relay between the hub and mosquitto that can act the moment the hub acknowledges a message.

A SIGKILL at a random moment rarely lands in the few milliseconds between acknowledging a batch and
committing it, so a hub that acknowledged first could pass a kill test by luck. The relay watches what the
hub sends the broker; once armed, it forwards the hub's first PUBACK and then calls `on_puback` (the test
SIGKILLs the hub there). A hub that commits before it acknowledges loses nothing to that kill; one that
acknowledges first loses the batch it was about to commit, and the ledger counts it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from tests.support.procs import free_port

PUBACK = 0x40  # MQTT 3.1.1 fixed header of a PUBACK


def complete_packet_types(buffer: bytearray) -> list[int]:
    """The packet types of the complete MQTT packets at the start of `buffer`, which loses them."""
    types: list[int] = []
    while True:
        length, multiplier, at = 0, 1, 1
        while True:  # remaining length: up to four 7-bit digits
            if at >= len(buffer):
                return types
            digit = buffer[at]
            length += (digit & 0x7F) * multiplier
            multiplier *= 128
            at += 1
            if not digit & 0x80:
                break
        if len(buffer) < at + length:
            return types
        types.append(buffer[0] & 0xF0)
        del buffer[: at + length]


class PubackTrap:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.armed = threading.Event()
        self.fired = threading.Event()
        self.on_puback: Callable[[], None] = lambda: None
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, name="puback-trap", daemon=True).start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def arm(self) -> None:
        self.fired.clear()
        self.armed.set()

    def close(self) -> None:
        self._closed = True
        for sock in (self._listener, *self._sockets):
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                hub, _ = self._listener.accept()
                broker = socket.create_connection(self.upstream)
            except OSError:
                continue
            for sock in (hub, broker):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets += [hub, broker]
            threading.Thread(target=self._pump, args=(broker, hub, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(hub, broker, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_hub: bool) -> None:
        pending = bytearray()
        try:
            while data := src.recv(65536):
                dst.sendall(data)  # forwarded first: the broker has the PUBACK before the hub dies
                if not from_hub:
                    continue
                pending += data
                if PUBACK in complete_packet_types(pending) and self.armed.is_set():
                    self.armed.clear()
                    self.on_puback()
                    self.fired.set()
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
