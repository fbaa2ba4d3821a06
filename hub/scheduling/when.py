"""When a rule acts, as plain data: a moment of a day (`At`: a clock time, or sunset / sunrise with an
offset) and the days it holds on (`Days`: weekdays, a date range, Rằm / Mùng 1, lunar dates, Tết, public
holidays). Shared by every schedule (street lights, bulletins); the values a rule sets are the domain's.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Anchor = Literal["clock", "sunset", "sunrise"]
# Days the holidays library and the Vietnamese lunar calendar name: Giao thừa is the eve of Tết (lunar
# 30/12 or 29/12), Tết its first three days, Giỗ Tổ Hùng Vương 10/3 âm lịch, and any official day off.
Holiday = Literal["giao_thua", "tet", "gio_to", "public_holiday"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class At(_Data):
    """A moment of a day: a clock time, or sunset / sunrise at the site, each with an offset in minutes."""

    anchor: Anchor = "clock"
    time: ClockTime | None = None
    offset_min: Annotated[int, Field(ge=-240, le=240)] = 0

    @model_validator(mode="after")
    def _time_only_for_clock(self) -> At:
        if self.anchor == "clock" and self.time is None:
            raise ValueError("time: a clock time (HH:MM) is required when anchor is 'clock'")
        if self.anchor != "clock" and self.time is not None:
            raise ValueError(f"time: leave it out for anchor {self.anchor!r} (use offset_min)")
        return self


class LunarDay(_Data):
    month: Annotated[int, Field(ge=1, le=12)]
    day: Annotated[int, Field(ge=1, le=30)]


class Days(_Data):
    """Which days (evenings, for a light) a rule starts on. Every condition given must hold; within a
    list any item may."""

    weekdays: Annotated[list[Annotated[int, Field(ge=0, le=6)]], Field(min_length=1, max_length=7)] | None = None
    date_from: date | None = None
    date_to: date | None = None
    lunar_days: Annotated[list[Annotated[int, Field(ge=1, le=30)]], Field(min_length=1, max_length=30)] | None = None
    lunar_dates: Annotated[list[LunarDay], Field(min_length=1, max_length=50)] | None = None
    holidays: Annotated[list[Holiday], Field(min_length=1, max_length=4)] | None = None

    @model_validator(mode="after")
    def _range_in_order(self) -> Days:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("date_to: must not be before date_from")
        return self

    @property
    def specificity(self) -> int:
        """How narrow the days are, for ties between rules of equal priority: a few named days a year (3)
        beat a day of every lunar month (2), which beats a date range (1), weekdays or every day (0)."""
        if self.lunar_dates or self.holidays:
            return 3
        if self.lunar_days:
            return 2
        if self.date_from or self.date_to:
            return 1
        return 0
