"""Drive one paho client from the calling thread: no network thread, no wake-up pipe.

Without a paho thread or external-loop callbacks, `publish` writes to the socket at once; the caller then
pumps the socket for PUBACKs. Used by the load generator, where one thread per connection is the design.
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt


class Pump:
    def __init__(self, client: mqtt.Client, host: str, port: int, keepalive: int = 60) -> None:
        self.client, self.host, self.port, self.keepalive = client, host, port, keepalive

    def connect(self, deadline: float) -> None:
        self.client.connect(self.host, self.port, keepalive=self.keepalive)
        self.run_until(self.client.is_connected, deadline)

    def run_until(self, done: Callable[[], bool], deadline: float) -> None:
        """Read and write until `done()`; TimeoutError at the deadline, ConnectionError if the broker leaves."""
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"broker {self.host}:{self.port} too slow: deadline passed")
            self.step(min(1.0, max(0.0, deadline - time.monotonic())))

    def step(self, timeout_s: float) -> None:
        sock = self.client.socket()
        if sock is None:
            raise ConnectionError(f"broker {self.host}:{self.port} closed the connection")
        readable, writable, _ = select.select([sock], [sock] if self.client.want_write() else [], [], timeout_s)
        if readable:
            self.client.loop_read()
        if writable and self.client.socket() is not None:
            self.client.loop_write()
        if self.client.socket() is not None:
            self.client.loop_misc()

    def close(self) -> None:
        """Disconnect cleanly (the DISCONNECT is written before the socket closes)."""
        if self.client.socket() is None:
            return
        self.client.disconnect()
        deadline = time.monotonic() + 2.0
        while self.client.socket() is not None and time.monotonic() < deadline:
            self.step(0.1)
