from __future__ import annotations

import logging
import selectors
import socket
import threading
import time

import pytest

from simulators.netloop import NetLoop


def test_calls_from_other_threads_run_on_the_loop_thread_in_order(net: NetLoop) -> None:
    seen: list[tuple[int, str]] = []
    for i in range(3):
        net.call_soon(lambda i=i: seen.append((i, threading.current_thread().name)))
    assert net.call(lambda: len(seen)) == 3
    assert seen == [(0, "test-netloop"), (1, "test-netloop"), (2, "test-netloop")]


def test_timers_fire_in_time_order_and_a_cancelled_one_never(net: NetLoop) -> None:
    fired: list[str] = []
    done = threading.Event()

    def last() -> None:
        fired.append("late")
        done.set()

    def schedule() -> None:
        net.call_later(0.06, last)
        net.call_later(0.02, lambda: fired.append("early"))
        net.call_later(0.04, lambda: fired.append("cancelled")).cancel()

    net.call(schedule)
    assert done.wait(2)
    assert fired == ["early", "late"]


def test_a_failing_callback_is_logged_and_the_loop_keeps_running(
    net: NetLoop, caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR):
        net.call_soon(boom)
        assert net.call(lambda: "still alive") == "still alive"
    assert "simulator callback failed" in caplog.text


def test_call_hands_an_exception_back_to_the_caller(net: NetLoop) -> None:
    def fail() -> None:
        raise ValueError("from the loop")

    with pytest.raises(ValueError, match="from the loop"):
        net.call(fail)


def test_an_unstarted_loop_holds_nothing_and_stops_harmlessly() -> None:
    loop = NetLoop()
    loop.call_soon(lambda: None)  # queued for a start that never comes
    loop.stop()
    loop.stop()


class _Readable:
    """A stand-in paho client on one end of a socket pair: its loop_read records that a message arrived."""

    def __init__(self, seen: list[str]) -> None:
        self.sock, self.peer = socket.socketpair()
        self.seen = seen

    def socket(self) -> socket.socket:
        return self.sock

    def loop_read(self) -> None:
        self.sock.recv(64)
        self.seen.append("message")


def test_a_call_made_before_a_message_was_sent_runs_before_the_message_is_handled(net: NetLoop) -> None:
    # The simulator's fault controls rely on this: `light.fault = "relay_stuck"` then a command must find the
    # relay stuck. Hold the loop in a timer so that the next select sees the wake-up and the message together.
    seen: list[str] = []
    device = _Readable(seen)
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        entered.set()
        release.wait(5)

    def arm() -> None:
        net._sel.register(device.sock, selectors.EVENT_READ, device)
        net.call_later(0, hold)

    try:
        net.call_soon(arm)
        assert entered.wait(5)
        net.call_soon(lambda: seen.append("call"))
        device.peer.send(b"x")
        release.set()
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert seen == ["call", "message"]
    finally:
        net.call(lambda: net._sel.unregister(device.sock))
        device.sock.close()
        device.peer.close()
