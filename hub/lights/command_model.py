"""A light command as the hub keeps it: who asked, for which lights, what, until when, and where each
light is in its lifecycle. Plain data, serialisable for the state DB and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from devices.light import LightSet
from devices.messages import DeviceId
from hub.lights.lifecycle import Status
from hub.lights.rollup import Desired, Label, LightLine, Rollup, rollup

DEFAULT_EXPIRY_MIN = 10  # a lamp switched on at 19:00 must not come on at 03:00 when its light returns
TargetKind = Literal["device", "group", "all"]


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    device: DeviceId | None = None
    group: DeviceId | None = None  # an alley, a road (with its alleys)
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
class LightProgress:
    device: str
    name: str
    status: Status = Status.QUEUED
    updated_ms: int = 0
    sent_ms: int | None = None
    attempts: int = 0
    acked: bool = False  # the light's ack was ok; confirmed once its state agrees too
    error: str | None = None


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
    lights: dict[str, LightProgress] = field(default_factory=dict)
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
