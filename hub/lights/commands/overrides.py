"""Overrides with a duration ("bật ngõ 3 trong 2 giờ"): the light ends them itself from `for_minutes`;
the hub follows each one too, so the app can say when the alley goes back to its schedule and flag a light
that did not (its state still says mode "override" a grace period after the end)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

from hub.commands.lifecycle import Status
from hub.lights.commands.model import LightCommand
from hub.registry import Registry

GRACE_MS = 60_000  # the light's clock and its own timer may lag the hub's by this much


class OverridePhase(StrEnum):
    ACTIVE = "active"
    RETURNED = "returned"  # back on its schedule
    NOT_RETURNED = "not_returned"  # still in override past the end: needs a look


@dataclass(slots=True)
class Override:
    command_id: str
    created_ms: int
    device: str
    until_ms: int
    phase: OverridePhase = OverridePhase.ACTIVE


class OverrideWatch:
    def __init__(self, registry: Registry, grace_ms: int = GRACE_MS) -> None:
        self._registry = registry
        self.grace_ms = grace_ms
        self._lock = threading.Lock()
        # device -> its latest override: a newer command to the light replaces the older one
        self._by_device: dict[str, Override] = {}

    def follow(self, command: LightCommand) -> None:
        """Follow the lights that confirmed `command`: an override starts its clock, and any newer
        command (override or not) replaces what the light was doing before."""
        minutes = command.desired.for_minutes
        with self._lock:
            for p in command.lights.values():
                current = self._by_device.get(p.device)
                if p.status != Status.CONFIRMED or (current is not None and current.created_ms >= command.created_ms):
                    continue
                if minutes is None:
                    self._by_device.pop(p.device, None)
                    continue
                # The light starts its timer when it applies the command: about when it confirmed.
                until = p.updated_ms + minutes * 60_000
                self._by_device[p.device] = Override(command.id, command.created_ms, p.device, until)
            ends = [o.until_ms for o in self._by_device.values() if o.command_id == command.id]
            command.override_until_ms = max(ends, default=command.override_until_ms)

    def check(self, now_ms: int) -> list[Override]:
        """Settle the overrides past their end; return those that changed phase."""
        changed = []
        with self._lock:
            for o in self._by_device.values():
                if o.phase != OverridePhase.ACTIVE or now_ms < o.until_ms + self.grace_ms:
                    continue
                live = self._registry.get(o.device)
                mode = live.state.get("mode") if live is not None else None
                o.phase = OverridePhase.NOT_RETURNED if mode == "override" else OverridePhase.RETURNED
                changed.append(o)
        return changed

    def of_command(self, command_id: str) -> dict[str, OverridePhase]:
        with self._lock:
            return {d: o.phase for d, o in self._by_device.items() if o.command_id == command_id}

    def active(self) -> list[Override]:
        with self._lock:
            return [o for o in self._by_device.values() if o.phase == OverridePhase.ACTIVE]
