from __future__ import annotations

import logging
import threading

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
