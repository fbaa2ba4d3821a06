"""One thread and one selector for many paho clients.

A fleet needs a connection per device (a last will belongs to a connection), but not a thread per device:
paho's external-loop hooks (`on_socket_open/close`, `on_socket_register_write/unregister_write`) let one
selector drive every socket with `loop_read` / `loop_write` / `loop_misc`. Every paho call and every device
callback runs on this loop's thread, so device logic needs no locks; other threads hand work in through
`call_soon` / `call` (the only thread-safe entry points).
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import logging
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import paho.mqtt.client as mqtt

from simulators.gate import ConnectGate

log = logging.getLogger(__name__)
T = TypeVar("T")
MISC_EVERY_S = 1.0  # keepalive pings are due in whole seconds; checking each second is enough


@dataclass(order=True)
class Timer:
    when: float
    order: int
    fn: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class NetLoop:
    def __init__(self, name: str = "sim-netloop") -> None:
        self._name = name
        # The selector and the wake-up pair exist only while running: an unstarted loop holds no OS resource.
        self._selector: selectors.BaseSelector | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._calls: deque[Callable[[], None]] = deque()
        self._timers: list[Timer] = []
        self._order = 0
        self._clients: list[mqtt.Client] = []
        self._running = False
        self._thread: threading.Thread | None = None
        self._next_misc = 0.0
        # Shared by every connection on this loop, so a fleet connects one device at a time (see gate.py).
        self.gate = ConnectGate(self.call_later)

    # --- thread-safe entry points ------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self._name} is already running")
        self._selector = selectors.DefaultSelector()
        self._wake = socket.socketpair()
        for end in self._wake:
            end.setblocking(False)
        self._selector.register(self._wake[0], selectors.EVENT_READ, None)
        self._running = True
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, drop any connection still open (owners close theirs first), free the sockets.

        Call it from another thread than the loop's; calling it twice, or on an unstarted loop, is harmless.
        """
        if self._thread is None:
            return
        self.call_soon(self._halt)
        self._thread.join(timeout)
        self._thread = None
        for client in self._clients:
            sock = client.socket()
            if sock is not None:  # a safety net: owners disconnect before stopping the loop
                cast(socket.socket, sock).close()
        assert self._selector is not None and self._wake is not None
        self._selector.close()
        for end in self._wake:
            end.close()
        self._selector = self._wake = None

    def call_soon(self, fn: Callable[..., None], *args: Any) -> None:
        self._calls.append(lambda: fn(*args))  # deque.append is atomic
        # No pipe: not started yet (the call runs once it is). A full pipe: the loop is already awake.
        wake = self._wake
        if wake is not None:
            with contextlib.suppress(OSError):
                wake[1].send(b"\0")

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `fn` on the loop thread and return its result (or raise its exception) here."""
        if threading.current_thread() is self._thread or self._thread is None:
            return fn()
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as err:  # handed back to the caller, not lost in the loop thread
                future.set_exception(err)

        self.call_soon(run)
        return future.result(timeout)

    # --- loop thread only --------------------------------------------------------------------------
    def call_later(self, delay_s: float, fn: Callable[[], None]) -> Timer:
        self._order += 1
        timer = Timer(time.monotonic() + max(delay_s, 0.0), self._order, fn)
        heapq.heappush(self._timers, timer)
        return timer

    def attach(self, client: mqtt.Client) -> None:
        client.on_socket_open = self._on_open
        client.on_socket_close = self._on_close
        client.on_socket_register_write = self._on_want_write
        client.on_socket_unregister_write = self._on_written
        self._clients.append(client)

    def detach(self, client: mqtt.Client) -> None:
        if client in self._clients:
            self._clients.remove(client)

    # --- internals ---------------------------------------------------------------------------------
    @property
    def _sel(self) -> selectors.BaseSelector:
        assert self._selector is not None, "paho sockets are only opened on the running loop's thread"
        return self._selector

    def _on_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._sel.register(sock, selectors.EVENT_READ, client)

    def _on_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._sel.unregister(sock)

    def _on_want_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)

    def _on_written(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._modify(sock, selectors.EVENT_READ, client)

    def _modify(self, sock: Any, events: int, client: mqtt.Client) -> None:
        with contextlib.suppress(KeyError, ValueError):  # already closed and unregistered
            self._sel.modify(sock, events, client)

    def _halt(self) -> None:
        self._running = False

    def _run(self) -> None:
        while self._running:
            events = self._sel.select(self._timeout())
            # Calls before the socket events they may have caused: a thread that sets a fault and then sends
            # the device a command must see the fault in force when that command is handled.
            while self._calls:
                self._guard(self._calls.popleft())
            for key, mask in events:
                self._guard(functools.partial(self._dispatch, key, mask))
            self._run_timers()
            self._run_misc()

    def _dispatch(self, key: selectors.SelectorKey, mask: int) -> None:
        if key.data is None:
            if self._wake is not None:
                self._wake[0].recv(4096)  # drain the wake-up bytes; the calls already ran
            return
        client: mqtt.Client = key.data
        # A socket closed earlier in this round (go_offline, an error) may still have an event listed.
        if mask & selectors.EVENT_READ and client.socket() is key.fileobj:
            client.loop_read()
        if mask & selectors.EVENT_WRITE and client.socket() is key.fileobj:
            client.loop_write()

    def _timeout(self) -> float:
        if self._calls:
            return 0.0
        horizon = self._next_misc
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        if self._timers:
            horizon = min(horizon, self._timers[0].when)
        return max(0.0, horizon - time.monotonic())

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0].when <= now:
            timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                self._guard(timer.fn)

    def _run_misc(self) -> None:
        now = time.monotonic()
        if now < self._next_misc:
            return
        self._next_misc = now + MISC_EVERY_S
        for client in list(self._clients):
            if client.socket() is not None:
                self._guard(client.loop_misc)

    @staticmethod
    def _guard(fn: Callable[[], object]) -> None:
        # One device's bug must not stop the loop that runs the whole fleet.
        try:
            fn()
        except Exception:
            log.exception("simulator callback failed")
