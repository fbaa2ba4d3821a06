"""Helpers shared by the benchmarks: timing, percentiles and the one-line figure format."""

from __future__ import annotations

import contextlib
import socket
import statistics
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt


def wait_for(check: Callable[[], bool], timeout: float, what: str, poll: float = 0.1) -> float:
    """Poll until `check()`; returns the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(poll)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def figure(name: str, value: float, unit: str, baseline: float | None = None, extra: str = "") -> str:
    ratio = f"  ratio {value / baseline:6.2f}" if baseline else ""
    return f"{name:<44} {value:>12,.1f} {unit:<8}{ratio}  {extra}".rstrip()


def no_delay(client: mqtt.Client) -> None:
    """TCP_NODELAY on a baseline client's socket, as the hub's bus sets on its own (paho does not): a small
    packet (a `set`, a PUBACK) goes out at once instead of waiting on Nagle and the peer's delayed ACK, so the
    baseline is the broker's and the devices' speed, not the kernel's timers. Call it from `on_connect`."""
    sock = client.socket()
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def tcp_nodelay(client: mqtt.Client) -> bool:
    """Whether the client's socket has TCP_NODELAY on (printed with the figures, so a run says what it measured)."""
    sock = client.socket()
    return isinstance(sock, socket.socket) and bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
