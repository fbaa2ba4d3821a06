"""The shared progress moves and roll-up counts, with plain data: what an event does to one device's
progress, what time alone does at a tick (both boundaries), and the counts of a command."""

from __future__ import annotations

from hub.commands.counts import tally
from hub.commands.lifecycle import Event, Status
from hub.commands.model import Progress, Target, due, move

T0 = 1_000_000
TIMEOUT = 30_000


def sent(at: int = T0) -> Progress:
    return Progress("den-1", "Đèn 1", Status.SENT, at, sent_ms=at, attempts=1)


def test_a_move_applies_changes_and_keeps_the_error_only_where_it_explains() -> None:
    p = sent()
    assert move(p, Event.SEND, T0 + 1, "ignored") is False  # a re-send: applied, the status is the same
    assert (p.status, p.updated_ms, p.error) == (Status.SENT, T0 + 1, None)
    assert move(p, Event.PUBACK, T0 + 5) is True and (p.status, p.updated_ms) == (Status.DELIVERED, T0 + 5)
    assert move(p, Event.PUBACK, T0 + 6) is None and p.updated_ms == T0 + 5  # not applicable: untouched
    assert move(p, Event.TIMEOUT, T0 + 8, "no answer") is True and p.error == "no answer"
    assert move(p, Event.REFUSE, T0 + 9, "relay_stuck") is True
    assert (p.status, p.error) == (Status.FAILED, "relay_stuck")
    q = sent()
    assert move(q, Event.CONFIRM, T0 + 1, "kept?") is True and (q.status, q.error) == (Status.CONFIRMED, None)


def test_what_is_due_at_a_tick() -> None:
    expires = T0 + 600_000
    assert due(sent(), T0 + TIMEOUT - 1, expires, TIMEOUT) is None
    assert due(sent(), T0 + TIMEOUT, expires, TIMEOUT) == Event.TIMEOUT
    delivered = sent()
    delivered.status = Status.DELIVERED
    assert due(delivered, T0 + TIMEOUT, expires, TIMEOUT) == Event.TIMEOUT
    queued = Progress("den-1", "Đèn 1")
    assert due(queued, expires - 1, expires, TIMEOUT) is None
    assert due(queued, expires, expires, TIMEOUT) == Event.EXPIRE
    never_sent = Progress("den-1", "Đèn 1", Status.SENT)  # sent_ms unknown: it cannot time out
    assert due(never_sent, T0 + 10 * TIMEOUT, expires, TIMEOUT) is None
    for settled in (Status.CONFIRMED, Status.FAILED, Status.TIMED_OUT, Status.EXPIRED):
        p = sent()
        p.status = settled
        assert due(p, expires + TIMEOUT, expires, TIMEOUT) is None


def test_progress_round_trips_through_its_row() -> None:
    p = Progress("den-1", "Đèn 1", Status.TIMED_OUT, 5, 3, 2, True, "no confirmation")
    assert Progress.of_row(p.row()) == p


def test_counts() -> None:
    t = tally([Status.CONFIRMED, Status.CONFIRMED, Status.TIMED_OUT])
    assert (t.total, t.confirmed, t.done, t.ok) == (3, 2, True, False)
    assert t.counts == {"confirmed": 2, "timed_out": 1}
    assert tally([Status.CONFIRMED, Status.SENT]).done is False
    assert tally([Status.CONFIRMED]).ok is True
    empty = tally([])
    assert (empty.total, empty.done, empty.ok, empty.counts) == (0, True, True, {})


def test_a_target_names_exactly_one_thing() -> None:
    assert Target(group="ngo-3").key == "group:ngo-3" and Target(group="ngo-3").kind == "group"
    assert Target(device="den-7").key == "device:den-7" and Target(all=True).key == "all"
