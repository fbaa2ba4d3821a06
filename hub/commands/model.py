"""What every device command has, whatever the device: its target (a device, a group or all), the
target's label in both languages, and each target device's progress through the lifecycle. Pure data and
the two moves a service makes on it: apply an event, and find what is due at a tick."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, model_validator

from devices.messages import DeviceId
from hub.commands.lifecycle import IN_FLIGHT, Event, Status, advance

TargetKind = Literal["device", "group", "all"]
_KEEPS_ERROR = frozenset({Status.FAILED, Status.TIMED_OUT})


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    device: DeviceId | None = None
    group: DeviceId | None = None  # an alley, a road (with its alleys), a loudspeaker zone
    all: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        if sum((self.device is not None, self.group is not None, self.all)) != 1:
            raise ValueError("target: give exactly one of device, group or all")
        return self

    @property
    def kind(self) -> TargetKind:
        return "device" if self.device else "group" if self.group else "all"

    @property
    def key(self) -> str:
        """'device:den-7', 'group:ngo-3' or 'all', as the audit log names it."""
        return f"device:{self.device}" if self.device else f"group:{self.group}" if self.group else "all"


class Label(NamedTuple):
    """What the command reached, as each language says it: a proper name ("Ngõ 3") is the same in both."""

    vi: str
    en: str


@dataclass(slots=True)
class Progress:
    """One target device's way through the lifecycle."""

    device: str
    name: str
    status: Status = Status.QUEUED
    updated_ms: int = 0
    sent_ms: int | None = None
    attempts: int = 0
    acked: bool = False  # the device's ack was ok; confirmed once its state agrees too
    error: str | None = None

    def row(self) -> list[Any]:
        """The JSON form a store keeps (a list: thousands of devices per command stay small)."""
        return [self.device, self.name, self.status.value, self.updated_ms, self.sent_ms, self.attempts,
                self.acked, self.error]

    @classmethod
    def of_row(cls, row: list[Any]) -> Progress:
        return cls(row[0], row[1], Status(row[2]), *row[3:])


def move(p: Progress, event: Event, now_ms: int, error: str | None = None) -> bool | None:
    """Apply `event` to the device's progress: None when it does not apply (nothing changes), else whether
    the status changed (a re-send from sent stays sent, yet counts as a move). An error is kept only on
    the statuses that explain themselves with one."""
    new = advance(p.status, event)
    if new is None:
        return None
    changed = new != p.status
    p.status, p.updated_ms = new, now_ms
    if error is not None and new in _KEEPS_ERROR:
        p.error = error
    return changed


def due(p: Progress, now_ms: int, expires_ms: int, confirm_timeout_ms: int) -> Event | None:
    """What time alone does to the device's progress at `now_ms`: an answer overdue times out, a command
    that never left expires at its deadline; None when nothing is due."""
    if p.status in IN_FLIGHT and p.sent_ms is not None and now_ms - p.sent_ms >= confirm_timeout_ms:
        return Event.TIMEOUT
    if p.status == Status.QUEUED and now_ms >= expires_ms:
        return Event.EXPIRE
    return None
