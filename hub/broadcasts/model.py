"""A bulletin as the hamlet head writes it (create and update) and as the hub keeps it.

When: one-off (`once_at`) or recurring (`times` of day on the `days` of the shared calendar rules:
weekdays, a date range, Rằm / Mùng 1, lunar dates, Tết, public holidays). What: a medium (its sha256, from
POST /api/media) or text, spoken by the hub. Where: `targets`, each "all", a loudspeaker zone or a speaker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from devices.messages import Percent, Priority
from hub.scheduling.when import ClockTime, Days

RANK: Final[dict[str, int]] = {"normal": 0, "priority": 1, "emergency": 2}  # JSVV: P3 routine, P2, P1
PRIORITY_VI: Final = {"normal": "thông thường", "priority": "ưu tiên", "emergency": "khẩn cấp"}
BulletinId = Annotated[str, StringConstraints(pattern=r"^b[a-z0-9]{1,30}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
TargetRef = Annotated[str, StringConstraints(pattern=r"^(all|[a-z0-9][a-z0-9-]{0,31})$")]
Status = Literal["active", "cancelled"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BulletinBody(_Data):
    title: Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
    sha256: Sha256 | None = None  # a medium uploaded with POST /api/media
    text: Annotated[str, StringConstraints(min_length=1, max_length=5000)] | None = None  # spoken by the hub
    priority: Priority = "normal"
    volume: Percent = 80
    repeat: Annotated[int, Field(ge=1, le=10)] = 1  # "phát 2 lần ..."
    gap_s: Annotated[int, Field(ge=0, le=600)] = 30  # "... cách 30 giây"
    targets: Annotated[list[TargetRef], Field(min_length=1, max_length=50)] = ["all"]
    once_at: datetime | None = None  # a one-off, with its time zone ("2026-12-01T06:00:00+07:00")
    times: Annotated[list[ClockTime], Field(min_length=1, max_length=8)] | None = None  # recurring: "06:00"
    days: Days = Days()  # recurring: which days (every day when empty)
    window_min: Annotated[int, Field(ge=1, le=120)] = 10  # it may still start or resume this late

    @model_validator(mode="after")
    def _one_content_one_when(self) -> BulletinBody:
        if (self.sha256 is None) == (self.text is None):
            raise ValueError("sha256/text: give exactly one (an uploaded medium, or text to be spoken)")
        if (self.once_at is None) == (self.times is None):
            raise ValueError("once_at/times: give exactly one (a one-off time, or times of day to repeat)")
        if self.once_at is not None and self.once_at.tzinfo is None:
            raise ValueError("once_at: add the time zone (+07:00)")
        if self.times is not None and len(set(self.times)) != len(self.times):
            raise ValueError("times: a time of day appears twice")
        return self


class Bulletin(BulletinBody):
    """As kept: the body, the medium actually played (an upload, or the hub's speech of the text), and
    what the head should know about it (`note`: speech unavailable, so text only)."""

    id: BulletinId
    status: Status = "active"
    media_sha256: Sha256 | None = None  # None: nothing playable (text that could not be spoken)
    duration_ms: Annotated[int, Field(ge=0, le=900_000)] = 0  # one play of the medium
    spoken_text: str | None = None
    note: str | None = None
    created_ms: int
    created_by: str | None = None
    updated_ms: int
    cancelled_ms: int | None = None

    @property
    def rank(self) -> int:
        return RANK[self.priority]

    @property
    def content_key(self) -> str:
        """What it says, for spotting the same emergency sent twice."""
        return f"media:{self.sha256}" if self.sha256 else f"text:{' '.join((self.text or '').split())}"
