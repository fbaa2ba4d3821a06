from __future__ import annotations

from devices.light import LightSet
from devices.messages import Command
from simulators.commands import EXPIRED, Apply, CommandLog, Emit, Outcome


def counting_apply(calls: list[str]) -> Apply:
    def apply(command: Command, now: int) -> Outcome:
        calls.append(command.command_id)
        return Outcome(ack={"state": "ON"}, changed=True, events=(Emit("schedule_applied"),))

    return apply


def test_a_repeated_command_id_is_answered_with_the_first_result_and_not_applied_again() -> None:
    log, calls = CommandLog(), list[str]()
    command = LightSet(command_id="c-1", ts=1, state="ON")
    first = log.process(command, 10, counting_apply(calls))
    again = log.process(command, 20, counting_apply(calls))
    assert calls == ["c-1"]
    assert first.changed and not first.duplicate
    assert again.duplicate and not again.changed and again.events == ()
    assert (again.ok, again.error, again.ack) == (first.ok, first.error, first.ack)


def test_an_expired_command_is_refused_and_never_applied() -> None:
    log, calls = CommandLog(), list[str]()
    outcome = log.process(LightSet(command_id="c-2", ts=1, expires_at=99, state="ON"), 100,
                          counting_apply(calls))
    assert calls == []
    assert (outcome.ok, outcome.error, outcome.changed) == (False, EXPIRED, False)


def test_a_command_is_applied_until_its_deadline_inclusive() -> None:
    log, calls = CommandLog(), list[str]()
    log.process(LightSet(command_id="c-3", ts=1, expires_at=100, state="ON"), 100,
                counting_apply(calls))
    assert calls == ["c-3"]


def test_the_log_forgets_the_oldest_ids_beyond_its_size() -> None:
    log, calls = CommandLog(size=2), list[str]()
    for cid in ("a", "b", "c"):
        log.process(LightSet(command_id=cid, ts=1, state="ON"), 1, counting_apply(calls))
    assert "a" not in log and "b" in log and "c" in log
