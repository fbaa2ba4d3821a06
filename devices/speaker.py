"""Smart loudspeaker: keeps its own 48 h plan of bulletins (retained `config`), fetches and verifies the media
ahead of time, plays on its own clock, and reports each play's lifecycle as events.

The plan travels in the retained config so that a speaker plays its bulletins when the hub or the 4G link is
down; `set` carries what must happen at once (an emergency, a stop, a volume). Every play is an *occurrence*
with an id the speaker never plays twice, whatever reconnects and re-pushes happen (QoS 1 delivers twice).
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field, StringConstraints, model_validator

from devices.contract import MAX_PAYLOAD_BYTES
from devices.messages import Ack, Command, DeviceMessage, Model, Percent, Priority, ShortText, TimestampMs

BulletinId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
OccurrenceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
MediaUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

MAX_PLAN_ENTRIES: Final = 48  # 48 h of bulletins: one an hour is already far more than a hamlet airs
MAX_MEDIA_MS: Final = 15 * 60_000  # the hub refuses longer uploads
DEFAULT_WINDOW_MS: Final = 10 * 60_000  # an occurrence may still start (or resume) this long after start_ms

SpeakerEventType = Literal[
    "downloaded",  # a medium fetched and its sha256 verified
    "started", "finished", "failed", "interrupted", "resumed", "missed", "stopped",  # an occurrence's life
    "fault", "restored",  # the speaker's own hardware
]


class PlanEntry(Model):
    """One occurrence: a bulletin's medium played `repeat` times from `start_ms`, at `volume` and `priority`."""

    occurrence_id: OccurrenceId
    bulletin_id: BulletinId
    start_ms: TimestampMs
    # The last moment it may start or resume; later it is missed. None: start_ms + DEFAULT_WINDOW_MS.
    until_ms: TimestampMs | None = None
    sha256: Sha256
    media_url: MediaUrl | None = None  # None: {config.media_base_url}/{sha256}
    duration_ms: Annotated[int, Field(ge=1, le=MAX_MEDIA_MS)]
    volume: Percent
    priority: Priority = "normal"
    repeat: Annotated[int, Field(ge=1, le=10)] = 1
    gap_s: Annotated[int, Field(ge=0, le=600)] = 0

    @model_validator(mode="after")
    def _window_after_start(self) -> PlanEntry:
        if self.until_ms is not None and self.until_ms < self.start_ms:
            raise ValueError(f"until_ms {self.until_ms} is before start_ms {self.start_ms}")
        return self

    @property
    def latest_start_ms(self) -> int:
        return self.until_ms if self.until_ms is not None else self.start_ms + DEFAULT_WINDOW_MS

    @property
    def length_ms(self) -> int:
        """The whole occurrence: every repetition and the gaps between them."""
        return self.repeat * self.duration_ms + (self.repeat - 1) * self.gap_s * 1000


class SpeakerState(DeviceMessage):
    status: Literal["idle", "playing", "error"]
    volume: Percent
    # What plays now.
    bulletin_id: BulletinId | None = None
    occurrence_id: OccurrenceId | None = None
    priority: Priority | None = None
    config_version: Annotated[int, Field(ge=0, le=2**53)] | None = None  # the plan it runs
    plan_entries: Annotated[int, Field(ge=0, le=MAX_PLAN_ENTRIES)] | None = None
    media_ready: Annotated[int, Field(ge=0, le=MAX_PLAN_ENTRIES)] | None = None  # entries with a verified medium


class SpeakerTelemetry(DeviceMessage):
    volume: Percent
    amp_temp_c: Annotated[float, Field(ge=-50, le=150)]
    signal_dbm: Annotated[float, Field(ge=-150, le=0)]
    uptime_s: Annotated[int, Field(ge=0, le=2**53)]
    playing: bool
    audio_ok: bool | None = None  # the last audio-path self-test passed (False: horn or line broken)
    power_w: Annotated[float, Field(ge=0, le=2_000)] | None = None


class SpeakerSet(Command):
    action: Literal["play", "stop", "volume"]
    entry: PlanEntry | None = None  # play: what to play, at once if its start_ms has come
    occurrence_id: OccurrenceId | None = None  # stop: that one (playing or waiting); None: what plays now
    volume: Percent | None = None  # volume

    @model_validator(mode="after")
    def _fields_of_the_action(self) -> SpeakerSet:
        if self.action == "play" and (self.entry is None or self.entry.media_url is None):
            raise ValueError("play needs an entry with its media_url")
        if self.action == "volume" and self.volume is None:
            raise ValueError("volume needs volume")
        return self


class SpeakerAck(Ack):
    bulletin_id: BulletinId | None = None
    occurrence_id: OccurrenceId | None = None


class SpeakerEvent(DeviceMessage):
    event: SpeakerEventType
    bulletin_id: BulletinId | None = None
    occurrence_id: OccurrenceId | None = None
    command_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    sha256: Sha256 | None = None
    # When it happened on the speaker's clock: events wait while the network is down and go out on
    # reconnect, so `ts` (when sent) can be much later. The as-run log uses at_ms.
    at_ms: TimestampMs | None = None
    position_ms: Annotated[int, Field(ge=0, le=2**53)] | None = None  # interrupted: how far it got
    detail: ShortText | None = None  # why: failed, missed, interrupted


class SpeakerConfig(Model):
    """Retained: the speaker's plan for the coming 48 h, kept and played without the hub."""

    version: Annotated[int, Field(ge=0, le=2**53)]
    default_volume: Percent = 70
    media_base_url: MediaUrl | None = None  # an entry's medium is {media_base_url}/{sha256}
    entries: Annotated[list[PlanEntry], Field(max_length=MAX_PLAN_ENTRIES, default_factory=list)]

    @model_validator(mode="after")
    def _playable_and_bounded(self) -> SpeakerConfig:
        seen: set[str] = set()
        for index, entry in enumerate(self.entries):
            if entry.occurrence_id in seen:
                raise ValueError(f"entries[{index}]: occurrence_id {entry.occurrence_id!r} appears twice")
            seen.add(entry.occurrence_id)
            if entry.media_url is None and self.media_base_url is None:
                raise ValueError(f"entries[{index}]: no media_url and no media_base_url to build it from")
        size = len(self.model_dump_json(exclude_none=True))
        if size > MAX_PAYLOAD_BYTES:
            raise ValueError(f"config is {size} bytes, over the {MAX_PAYLOAD_BYTES}-byte limit: send fewer entries")
        return self

    def media_url(self, entry: PlanEntry) -> str:
        if entry.media_url is not None:
            return entry.media_url
        assert self.media_base_url is not None  # checked when the config was validated
        return f"{self.media_base_url.rstrip('/')}/{entry.sha256}"
