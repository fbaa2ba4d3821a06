"""The connect gate on plain callables: one holder at a time, released by SUBACK, failure or timeout."""

from __future__ import annotations

from collections.abc import Callable

from simulators.gate import ConnectGate


class FakeTimer:
    def __init__(self, fn: Callable[[], None]) -> None:
        self.fn, self.cancelled = fn, False

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    def __init__(self) -> None:
        self.started: list[FakeTimer] = []

    def __call__(self, delay_s: float, fn: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(fn)
        self.started.append(timer)
        return timer


def test_devices_connect_one_after_another() -> None:
    ran: list[str] = []
    gate = ConnectGate(Timers())
    for key in ("a", "b", "c"):
        gate.enter(key, lambda key=key: ran.append(key))  # type: ignore[misc]
    assert ran == ["a"] and gate.busy == 1
    gate.leave("a")
    gate.leave("a")  # SUBACK and a disconnect may both say so
    assert ran == ["a", "b"]
    gate.leave("b")
    assert ran == ["a", "b", "c"]


def test_a_key_waiting_twice_keeps_one_place_with_the_newer_call() -> None:
    ran: list[str] = []
    gate = ConnectGate(Timers())
    gate.enter("a", lambda: ran.append("a"))
    gate.enter("b", lambda: ran.append("b-old"))
    gate.enter("b", lambda: ran.append("b-new"))
    gate.leave("a")
    assert ran == ["a", "b-new"]


def test_a_holder_that_never_answers_is_let_go_after_the_hold_time() -> None:
    timers, ran = Timers(), []
    gate = ConnectGate(timers)
    gate.enter("silent", lambda: ran.append("silent"))
    gate.enter("next", lambda: ran.append("next"))
    timers.started[0].fn()  # the hold time passed without a SUBACK
    assert ran == ["silent", "next"]


def test_leaving_cancels_the_hold_timer_and_a_waiting_key_can_withdraw() -> None:
    timers, ran = Timers(), []
    gate = ConnectGate(timers, width=1)
    gate.enter("a", lambda: ran.append("a"))
    gate.enter("b", lambda: ran.append("b"))
    gate.leave("b")  # gave up before its turn
    gate.leave("a")
    assert ran == ["a"] and timers.started[0].cancelled and gate.busy == 0
