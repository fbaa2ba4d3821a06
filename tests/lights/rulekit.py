"""Plain-data helpers for schedule tests: the model site's place, local times, compact rules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.lights.schedules.rules import Level, Rule
from hub.scheduling.sun import Place, sun_event
from hub.scheduling.timeline import Step
from hub.scheduling.when import At, Days

PLACE = Place(21.33, 105.28, "Asia/Ho_Chi_Minh")  # Sơn Vi, Lâm Thao, Phú Thọ
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: date, hhmm: str) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=TZ)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def sunset(day: date, offset: int = 0) -> datetime:
    return sun_event(PLACE, day, "sunset") + timedelta(minutes=offset)


def sunrise(day: date, offset: int = 0) -> datetime:
    return sun_event(PLACE, day, "sunrise") + timedelta(minutes=offset)


def at(text: str) -> At:
    """'sunset', 'sunset+10', 'sunrise-15' or 'HH:MM'."""
    for anchor in ("sunset", "sunrise"):
        if text.startswith(anchor):
            rest = text[len(anchor):]
            return At.model_validate({"anchor": anchor, "offset_min": int(rest) if rest else 0})
    return At(anchor="clock", time=text)


def rule(rid: str, levels: list[tuple[str, int]], until: str, **extra: Any) -> Rule:
    days = Days.model_validate(extra.pop("days", {}))
    return Rule(
        id=rid, name=extra.pop("name", rid), days=days,
        levels=[Level(at=at(a), brightness=b) for a, b in levels], until=at(until), **extra,
    )


def as_pairs(steps: list[Step[int]]) -> list[tuple[int, int, str | None]]:
    return [(s.at_ms, s.value, s.rule_id) for s in steps]


def level_at(steps: list[Step[int]], moment: datetime) -> int:
    """What the light does at `moment` following the timeline (the last step that has begun)."""
    t = ms(moment)
    return max((s for s in steps if s.at_ms <= t), key=lambda s: s.at_ms).value
