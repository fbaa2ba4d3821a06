"""Ready-made rules for the schedule editor, so a 60-year-old head picks one instead of writing times.

"Theo mặt trời" follows the sun; "Tiết kiệm điện" dims through the small hours, when the lanes are empty;
"Rằm và Mùng 1" and "Tết" keep the lanes bright on the nights people walk to the pagoda and visit family.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.lights.schedules.rules import ALL, Level, RuleBody
from hub.scheduling.when import At, Days


@dataclass(frozen=True, slots=True)
class Preset:
    key: str
    name_vi: str
    name_en: str
    describe_vi: str
    describe_en: str
    body: RuleBody


def _at(anchor: str, offset: int = 0) -> At:
    return At.model_validate({"anchor": anchor, "offset_min": offset})


def _clock(hhmm: str) -> At:
    return At(anchor="clock", time=hhmm)


_SUN = Preset(
    "theo-mat-troi", "Theo mặt trời", "By the sun",
    "Bật 100% lúc mặt trời lặn, tắt lúc mặt trời mọc.", "On at 100% at sunset, off at sunrise.",
    RuleBody(name="Theo mặt trời", levels=[Level(at=_at("sunset"), brightness=100)], until=_at("sunrise")),
)
_SAVER = Preset(
    "tiet-kiem-dien", "Tiết kiệm điện", "Power-saving",
    "100% sau hoàng hôn 10 phút, 50% từ 23:00, 30% từ 01:00, tắt 10 phút trước bình minh.",
    "100% 10 min after sunset, 50% from 23:00, 30% from 01:00, off 10 min before sunrise.",
    RuleBody(
        name="Tiết kiệm điện",
        levels=[
            Level(at=_at("sunset", 10), brightness=100),
            Level(at=_clock("23:00"), brightness=50),
            Level(at=_clock("01:00"), brightness=30),
        ],
        until=_at("sunrise", -10),
    ),
)
_LUNAR = Preset(
    "ram-mung-mot", "Rằm và Mùng 1", "Full moon and new moon days",
    "Đêm Rằm và Mùng 1 âm lịch: sáng 100% cả đêm.", "On the 15th and 1st lunar days: 100% all night.",
    RuleBody(
        name="Rằm và Mùng 1", priority=20, days=Days(lunar_days=[1, 15]),
        levels=[Level(at=_at("sunset"), brightness=100)], until=_at("sunrise"),
    ),
)
_TET = Preset(
    "tet", "Tết", "Lunar New Year",
    "Giao thừa và ba ngày Tết: sáng 100% cả đêm.", "New Year's Eve and the three days of Tết: 100% all night.",
    RuleBody(
        name="Tết", priority=30, days=Days(holidays=["giao_thua", "tet"]),
        levels=[Level(at=_at("sunset", -15), brightness=100)], until=_at("sunrise", 15),
    ),
)

PRESETS: dict[str, Preset] = {p.key: p for p in (_SUN, _SAVER, _LUNAR, _TET)}


def preset_rule(key: str, target: str = ALL) -> RuleBody:
    """The preset's rule for a target; KeyError for an unknown key."""
    return PRESETS[key].body.model_copy(update={"target": target})
