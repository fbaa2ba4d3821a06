"""Street light: Home Assistant / zigbee2mqtt JSON light vocabulary (state ON/OFF, brightness 0-100),
with TALQ's split between the commanded level (set), its confirmation (ack) and the actual state."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from devices.messages import Ack, Command, DeviceMessage, Model, Percent, ShortText, TimestampMs

OnOff = Literal["ON", "OFF"]
LightMode = Literal["schedule", "override", "manual"]


class LightState(DeviceMessage):
    state: OnOff
    brightness: Percent
    mode: LightMode = "schedule"
    config_version: int | None = None


class LightTelemetry(DeviceMessage):
    power_w: Annotated[float, Field(ge=0, le=10_000)]
    voltage_v: Annotated[float, Field(ge=0, le=1_000)]
    energy_wh: Annotated[float, Field(ge=0, le=1e12)]
    level: Percent  # the level the driver actually outputs
    temperature_c: Annotated[float, Field(ge=-50, le=150)] | None = None


class LightSet(Command):
    state: OnOff | None = None
    brightness: Percent | None = None
    # An override that lasts this long, after which the light returns to its schedule.
    for_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] | None = None


class LightAck(Ack):
    state: OnOff | None = None
    brightness: Percent | None = None


LightEventType = Literal["lamp_failure", "relay_fault", "power_loss", "restored", "schedule_applied"]


class LightEvent(DeviceMessage):
    event: LightEventType
    detail: ShortText | None = None


class ScheduleStep(Model):
    """From `at` on, the light holds `brightness` (0 = off) until the next step."""

    at: TimestampMs
    brightness: Percent


class LightConfig(Model):
    """Retained: the light's own timeline for the coming days, so it keeps its schedule without the hub."""

    version: Annotated[int, Field(ge=0, le=2**53)]
    steps: Annotated[list[ScheduleStep], Field(max_length=512, default_factory=list)]
