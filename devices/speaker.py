"""Smart loudspeaker: plays bulletins by id from a media URL, with a priority that can pre-empt."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from devices.messages import Ack, Command, DeviceMessage, Model, Percent, Priority, ShortText

BulletinId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
MediaUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://")]


class SpeakerState(DeviceMessage):
    status: Literal["idle", "playing", "error"]
    volume: Percent
    bulletin_id: BulletinId | None = None
    priority: Priority | None = None


class SpeakerTelemetry(DeviceMessage):
    volume: Percent
    amp_temp_c: Annotated[float, Field(ge=-50, le=150)]
    signal_dbm: Annotated[float, Field(ge=-150, le=0)]
    uptime_s: Annotated[int, Field(ge=0, le=2**53)]
    playing: bool


class SpeakerSet(Command):
    action: Literal["play", "stop", "volume"]
    bulletin_id: BulletinId | None = None
    media_url: MediaUrl | None = None
    priority: Priority = "normal"
    volume: Percent | None = None


class SpeakerAck(Ack):
    bulletin_id: BulletinId | None = None


class SpeakerEvent(DeviceMessage):
    event: Literal["playback_started", "playback_finished", "playback_failed", "preempted", "fault"]
    bulletin_id: BulletinId | None = None
    detail: ShortText | None = None


class SpeakerConfig(Model):
    version: Annotated[int, Field(ge=0, le=2**53)]
    default_volume: Percent = 70
