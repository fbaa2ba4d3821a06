"""A command's lifecycle per target device (a light, a loudspeaker), as a table. Pure.

    queued -> sent -> delivered (PUBACK) -> confirmed (the device's ack is ok and its state agrees)
                                          -> failed (the device said no) | timed_out (no answer in time)
    queued -> expired (the device stayed offline past the command's deadline)

A device that answers after it timed out is still moved to confirmed or failed: the roll-up tells what the
devices did, not what the hub had given up on. A device that comes back online before the deadline is sent
the command again with the same id (the device de-duplicates), from sent, delivered or timed_out.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Status(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    EXPIRED = "expired"


class Event(StrEnum):
    SEND = "send"
    PUBACK = "puback"
    CONFIRM = "confirm"
    REFUSE = "refuse"
    TIMEOUT = "timeout"
    EXPIRE = "expire"


Q, S, D, C, F, T, X = (Status.QUEUED, Status.SENT, Status.DELIVERED, Status.CONFIRMED, Status.FAILED,
                       Status.TIMED_OUT, Status.EXPIRED)

# event -> {from: to}; a pair that is not listed is ignored (a PUBACK after the ack, a second ack).
TRANSITIONS: Final[dict[Event, dict[Status, Status]]] = {
    Event.SEND: {Q: S, S: S, D: S, T: S},
    Event.PUBACK: {S: D},
    Event.CONFIRM: {Q: C, S: C, D: C, T: C},
    Event.REFUSE: {Q: F, S: F, D: F, T: F},
    Event.TIMEOUT: {S: T, D: T},
    Event.EXPIRE: {Q: X},
}

FINAL: Final = frozenset({C, F, X})  # nothing moves these
SETTLED: Final = frozenset({C, F, T, X})  # the command is done when every light is settled
IN_FLIGHT: Final = frozenset({S, D})


def advance(current: Status, event: Event) -> Status | None:
    """The status after `event`, or None when the event does not apply in `current`."""
    return TRANSITIONS[event].get(current)
