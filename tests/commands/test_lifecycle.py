"""The command lifecycle's whole transition table, written out cell by cell: every event from every status.
A cell changed in hub/commands/lifecycle.py (a late answer no longer accepted, a final status that moves)
fails here by name."""

from __future__ import annotations

import pytest

from hub.commands.lifecycle import FINAL, IN_FLIGHT, SETTLED, Event, Status, advance

Q, S, D, C, F, T, X = (Status.QUEUED, Status.SENT, Status.DELIVERED, Status.CONFIRMED, Status.FAILED,
                       Status.TIMED_OUT, Status.EXPIRED)
_: None = None  # the event does not apply: the status stays

# status -> the status after each event, in the column order below.
EVENTS = (Event.SEND, Event.PUBACK, Event.CONFIRM, Event.REFUSE, Event.TIMEOUT, Event.EXPIRE)
TABLE: dict[Status, tuple[Status | None, ...]] = {
    #     send puback confirm refuse timeout expire
    Q: (S, _, C, F, _, X),
    S: (S, D, C, F, T, _),  # a re-send to a light that came back keeps it sent
    D: (S, _, C, F, T, _),
    C: (_, _, _, _, _, _),
    F: (_, _, _, _, _, _),
    T: (S, _, C, F, _, _),  # a late answer still counts; a returning light is sent again
    X: (_, _, _, _, _, _),
}
CELLS = [(status, event, row[i]) for status, row in TABLE.items() for i, event in enumerate(EVENTS)]


def test_the_table_covers_every_status_and_event() -> None:
    assert set(TABLE) == set(Status) and set(EVENTS) == set(Event)


@pytest.mark.parametrize(("status", "event", "after"), CELLS, ids=[f"{s}-{e}" for s, e, _a in CELLS])
def test_every_event_from_every_status(status: Status, event: Event, after: Status | None) -> None:
    assert advance(status, event) == after


def test_the_groups_of_statuses() -> None:
    assert {C, F, X} == FINAL
    assert {C, F, T, X} == SETTLED
    assert {S, D} == IN_FLIGHT
    # nothing leaves a final status, and every settled one that is not final can still be answered
    assert all(advance(s, e) is None for s in FINAL for e in Event)
    assert {advance(s, Event.CONFIRM) for s in SETTLED - FINAL} == {C}
