"""DeviceLink against a broker that accepts the TCP connection but never answers the CONNECT."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from simulators import link
from simulators.link import DeviceLink
from simulators.netloop import NetLoop


def test_a_missing_connack_is_given_up_and_retried(net: NetLoop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(link, "CONNACK_S", 0.3)
    accepted: list[socket.socket] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(5)

        def silent_broker() -> None:
            for _ in range(2):
                try:
                    accepted.append(server.accept()[0])
                except OSError:
                    return

        thread = threading.Thread(target=silent_broker)
        thread.start()
        device = DeviceLink(net, "sim-test-den-01", "127.0.0.1", server.getsockname()[1],
                            availability="hamlet/v1/test/light/den-01/availability", subscriptions=[])
        started = time.monotonic()
        device.start()
        thread.join(5)
        # Gave up on the first connection after 0.3 s, came back after the 1 s backoff: not after 30 s.
        assert len(accepted) == 2 and time.monotonic() - started < 3
        assert not device.connected.is_set()
        device.stop()
        assert device.closed.wait(5)
        for conn in accepted:
            conn.close()
