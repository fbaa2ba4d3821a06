"""A light command as the hub keeps it: who asked, for which lights, what, until when, and where each
light is in its lifecycle. Plain data, serialisable for the state DB and the API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from devices.light import LightSet
from hub.commands.model import Label, Progress, Target
from hub.commands.store import MemoryCommandStore, SqliteCommandStore
from hub.lights.commands.rollup import Desired, LightLine, Rollup, rollup
from hub.statedb import StateDB

DEFAULT_EXPIRY_MIN = 10  # a lamp switched on at 19:00 must not come on at 03:00 when its light returns


class CommandRequest(BaseModel):
    """POST /api/lights/commands: on, off or dim a light, a group or all, optionally for a while."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: Target
    on: bool
    brightness: Annotated[int, Field(ge=1, le=100)] | None = None
    for_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] | None = None
    expires_in_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = DEFAULT_EXPIRY_MIN

    @model_validator(mode="after")
    def _brightness_only_when_on(self) -> CommandRequest:
        if not self.on and self.brightness is not None:
            raise ValueError("brightness: leave it out when turning lights off")
        return self

    @property
    def desired(self) -> Desired:
        return Desired(self.on, self.brightness, self.for_minutes)


@dataclass(slots=True)
class LightCommand:
    id: str
    created_ms: int
    expires_ms: int
    by_user: int | None
    by_name: str
    target: Target
    label: Label  # ("Ngõ 3", "Ngõ 3"), ("Tất cả đèn", "All lights")
    desired: Desired
    lights: dict[str, Progress] = field(default_factory=dict)
    override_until_ms: int | None = None  # when the lights return to their schedule (for_minutes)
    finished_ms: int | None = None

    def wire(self, now_ms: int) -> LightSet:
        d = self.desired
        return LightSet(
            command_id=self.id, ts=now_ms, expires_at=self.expires_ms, state="ON" if d.on else "OFF",
            brightness=d.brightness if d.on else None, for_minutes=d.for_minutes,
        )

    def rollup(self) -> Rollup:
        lines = [LightLine(p.device, p.name, p.status) for p in self.lights.values()]
        return rollup(self.label, self.desired, lines)

    def agrees(self, state: dict[str, Any]) -> bool:
        """The light's reported state is what this command asked for."""
        if not self.desired.on:
            return state.get("state") == "OFF"
        brightness = self.desired.brightness
        return state.get("state") == "ON" and (brightness is None or state.get("brightness") == brightness)


def dumps(command: LightCommand) -> str:
    d = command.desired
    return json.dumps({
        "id": command.id, "created_ms": command.created_ms, "expires_ms": command.expires_ms,
        "by_user": command.by_user, "by_name": command.by_name, "target": command.target.model_dump(),
        "label": list(command.label), "desired": [d.on, d.brightness, d.for_minutes],
        "override_until_ms": command.override_until_ms, "finished_ms": command.finished_ms,
        "lights": [p.row() for p in command.lights.values()],
    }, ensure_ascii=False)


def loads(text: str) -> LightCommand:
    data: dict[str, Any] = json.loads(text)
    lights = {row[0]: Progress.of_row(row) for row in data["lights"]}
    return LightCommand(
        id=data["id"], created_ms=data["created_ms"], expires_ms=data["expires_ms"], by_user=data["by_user"],
        by_name=data["by_name"], target=Target.model_validate(data["target"]), label=Label(*data["label"]),
        desired=Desired(*data["desired"]), lights=lights, override_until_ms=data["override_until_ms"],
        finished_ms=data["finished_ms"],
    )


def memory_store() -> MemoryCommandStore[LightCommand]:
    return MemoryCommandStore(dumps, loads)


def sqlite_store(db: StateDB) -> SqliteCommandStore[LightCommand]:
    return SqliteCommandStore(db, "light_commands", dumps, loads)
