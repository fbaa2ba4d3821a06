"""Sunset and sunrise at the site (astral), turning a rule's `At` into an instant, daylight, and the
window of whole local days a timeline covers. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import sunrise, sunset

from devices.site import Site
from hub.scheduling.when import Anchor, At


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lon: float
    timezone: str = "Asia/Ho_Chi_Minh"

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.timezone)

    @classmethod
    def of(cls, site: Site) -> Place:
        return cls(site.position.lat, site.position.lon, site.timezone)


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=8192)
def sun_event(place: Place, day: date, anchor: Anchor) -> datetime:
    """Sunrise or sunset on `day` (local date) at the place, to the second."""
    event = sunset if anchor == "sunset" else sunrise
    try:
        moment: datetime = event(Observer(place.lat, place.lon), day, tzinfo=place.tz)
    except ValueError as exc:  # polar day or night: no such event; never at a Vietnamese hamlet
        raise ValueError(f"no {anchor} at {place.lat},{place.lon} on {day.isoformat()}") from exc
    return moment.replace(microsecond=0)


def resolve(at: At, place: Place, day: date) -> datetime:
    """The instant `at` names on the local date `day` (the offset may move it across midnight)."""
    if at.anchor == "clock":
        assert at.time is not None  # the model requires it for the clock anchor
        hours, minutes = (int(part) for part in at.time.split(":"))
        base = datetime.combine(day, time(hours, minutes), tzinfo=place.tz)
    else:
        base = sun_event(place, day, at.anchor)
    return base + timedelta(minutes=at.offset_min)


def next_after(at: At, place: Place, day: date, after: datetime) -> datetime:
    """The first instant `at` names strictly after `after`, trying `day` and the two days that follow."""
    for shift in range(3):
        moment = resolve(at, place, day + timedelta(days=shift))
        if moment > after:
            return moment
    raise ValueError("a level or 'until' never comes after the one before it")


def daylight(place: Place, moment: datetime, margin: timedelta) -> bool:
    """Full daylight at `moment` (local): from `margin` after sunrise to `margin` before sunset."""
    day = moment.date()
    return sun_event(place, day, "sunrise") + margin <= moment <= sun_event(place, day, "sunset") - margin


def local_days(now_ms: int, place: Place, days: int) -> tuple[datetime, datetime]:
    """From local midnight today to the end of the `days`-th day after: the same all day, so what is
    resolved over it (a light's config, a week's bulletins) is the same whenever in the day it is asked."""
    local = datetime.fromtimestamp(now_ms / 1000, place.tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=days + 1)
