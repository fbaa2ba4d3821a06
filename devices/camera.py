"""Security camera messages.

One writer per retained topic: a camera's retained `state` is the hub's, never the camera's. The hub probes
each camera over HTTP (hub/cameras) and publishes the health it judged there, retained, for every consumer;
the camera itself publishes its availability (last will), telemetry (its own report: frames, bitrate,
storage, temperature, uptime, and whether its encoder streams and records), events and acks.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field

from devices.contract import Channel
from devices.messages import Ack, Command, DeviceMessage, Model, ShortText

# Channels of this kind the hub publishes itself (devices/kinds.py): the hub does not count its own message
# as hearing from the camera, and a simulated camera never publishes on them.
HUB_OWNED_CHANNELS: Final = frozenset({Channel.STATE})


class CameraState(DeviceMessage):
    """Published retained by the hub (hub/cameras/service.py) when a probed camera's health changes."""

    health: Literal["ok", "degraded", "offline", "maintenance"]
    # Comma-separated reason codes ("covered,not_recording"): messages are flat, the store keeps one field.
    reasons: ShortText | None = None
    recording: bool  # as the camera's health endpoint says, false while it is offline
    stream_ok: bool  # the hub got a decodable picture


class CameraTelemetry(DeviceMessage):
    fps: Annotated[float, Field(ge=0, le=240)]
    bitrate_kbps: Annotated[float, Field(ge=0, le=1_000_000)]
    uptime_s: Annotated[int, Field(ge=0, le=2**53)]
    temperature_c: Annotated[float, Field(ge=-50, le=150)]
    storage_free_pct: Annotated[float, Field(ge=0, le=100)]
    # The camera's own word on its encoder (optional: older firmware does not say). The hub judges health
    # from its probes; these are the camera's report beside them.
    recording: bool | None = None
    stream_ok: bool | None = None


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
