"""Pure command handling shared by every kind: de-duplication on command id, expiry, outcomes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from devices.messages import Command

EXPIRED: Final = "expired"


@dataclass(frozen=True, slots=True)
class Emit:
    """An event to publish: its name plus the kind's extra event fields (e.g. bulletin_id, detail)."""

    event: str
    fields: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command (or a tick, a config, a fault) did, as plain data the I/O layer turns into messages."""

    ok: bool = True
    error: str | None = None
    ack: Mapping[str, object] = field(default_factory=dict)  # the kind's ack fields (a light's state...)
    changed: bool = False  # the state changed: publish it
    events: tuple[Emit, ...] = ()
    duplicate: bool = False  # a repeated command id: ack again, apply nothing


NOTHING: Final = Outcome()

Apply = Callable[[Command, int], Outcome]


class CommandLog:
    """Remembers the outcome of the last `size` command ids.

    The hub re-sends a command it has no ack for (QoS 1 can also deliver twice), so a repeated id is acked
    again with the first result instead of being applied twice: "toggle" or "play" must not happen twice.
    """

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._done: OrderedDict[str, Outcome] = OrderedDict()

    def process(self, command: Command, now_ms: int, apply: Apply) -> Outcome:
        seen = self._done.get(command.command_id)
        if seen is not None:
            self._done.move_to_end(command.command_id)
            return replace(seen, changed=False, events=(), duplicate=True)
        if command.expires_at is not None and now_ms > command.expires_at:
            outcome = Outcome(ok=False, error=EXPIRED)
        else:
            outcome = apply(command, now_ms)
        self._remember(command.command_id, outcome)
        return outcome

    def __contains__(self, command_id: object) -> bool:
        return command_id in self._done

    def _remember(self, command_id: str, outcome: Outcome) -> None:
        self._done[command_id] = outcome
        while len(self._done) > self._size:
            self._done.popitem(last=False)
