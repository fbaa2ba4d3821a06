"""Security camera health endpoint: the camera reports its own health; the hub probes its picture."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from devices.messages import Ack, Command, DeviceMessage, Model, ShortText


class CameraState(DeviceMessage):
    recording: bool
    stream_ok: bool
    # Set when the hub publishes the health it judged from probing the camera (hub/cameras): what other
    # consumers read. `reasons` is a comma-separated list of reason codes ("covered,not_recording"): device
    # messages are flat, so the store keeps it as one field.
    health: Literal["ok", "degraded", "offline", "maintenance"] | None = None
    reasons: ShortText | None = None


class CameraTelemetry(DeviceMessage):
    fps: Annotated[float, Field(ge=0, le=240)]
    bitrate_kbps: Annotated[float, Field(ge=0, le=1_000_000)]
    uptime_s: Annotated[int, Field(ge=0, le=2**53)]
    temperature_c: Annotated[float, Field(ge=-50, le=150)]
    storage_free_pct: Annotated[float, Field(ge=0, le=100)]


class CameraSet(Command):
    action: Literal["reboot", "snapshot"]


class CameraAck(Ack):
    pass


class CameraEvent(DeviceMessage):
    event: Literal["motion", "tamper", "reboot", "storage_full", "stream_lost", "stream_restored"]
    detail: ShortText | None = None


class CameraConfig(Model):
    version: Annotated[int, Field(ge=0, le=2**53)]
    snapshot_interval_s: Annotated[int, Field(ge=5, le=3600)] = 60
