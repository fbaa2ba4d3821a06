"""Energy from telemetry: what each light used between two samples, what it would have used at full
power over the same lit time, and the roll-up per light, alley or road and per day or month in kWh and
đồng. Pure.

Energy comes from the light's own meter (`energy_wh`, a running counter) when it moves forward; after a
meter reset the mean of the two power samples stands in. Savings count only lit time the hub saw: across
a gap longer than MAX_GAP_MS it cannot know when the light was lit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo

from devices.site import Site

MAX_GAP_MS: Final = 15 * 60_000
DEFAULT_FULL_W: Final = 45.0  # a 40 W LED with its driver at 100% (what the model site fits)
By = Literal["light", "alley", "road"]
Period = Literal["day", "month"]


@dataclass(frozen=True, slots=True)
class Sample:
    ts_ms: int
    energy_wh: float
    power_w: float
    level: int


@dataclass(frozen=True, slots=True)
class Use:
    """Energy of one light over some time: used, at full power over the same lit time, and lit time."""

    wh: float = 0.0
    full_wh: float = 0.0
    on_ms: int = 0

    def __add__(self, other: Use) -> Use:
        return Use(self.wh + other.wh, self.full_wh + other.full_wh, self.on_ms + other.on_ms)


def between(prev: Sample, cur: Sample, full_w: float) -> Use:
    """What a light used from `prev` to `cur`. Over a gap the meter's counter still tells the energy, but
    not when the light was lit, so nothing is counted as lit time or as saved."""
    dt = cur.ts_ms - prev.ts_ms
    counted = cur.energy_wh - prev.energy_wh
    gap = dt > MAX_GAP_MS
    if dt <= 0 or (counted < 0 and gap):
        return Use()
    wh = counted if counted >= 0 else (prev.power_w + cur.power_w) / 2 * dt / 3_600_000
    if gap or prev.level <= 0:
        return Use(wh, wh, 0)
    return Use(wh, full_w * dt / 3_600_000, dt)


def local_day(ts_ms: int, tz: ZoneInfo) -> str:
    return _local_day(ts_ms // _QUARTER_MS, tz)


# Every UTC offset in use is a whole number of quarter hours, so all instants of one quarter hour share a
# local date: the conversion is done once per quarter hour, not once per telemetry sample.
_QUARTER_MS = 15 * 60_000


@lru_cache(maxsize=4096)
def _local_day(quarter: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(quarter * _QUARTER_MS / 1000, tz).strftime("%Y-%m-%d")


@dataclass(frozen=True, slots=True)
class EnergyRow:
    key: str  # a light, an alley or a road
    name: str
    period: str  # "2026-06-10" or "2026-06"
    kwh: float
    full_kwh: float
    saved_kwh: float  # what dimming saved against full power over the same lit hours
    cost_vnd: int
    saved_vnd: int
    lit_hours: float


def roll_up(
    uses: Iterable[tuple[str, str, Use]], site: Site, by: By, period: Period, tariff_vnd_per_kwh: float
) -> list[EnergyRow]:
    """(device, local day, use) rows -> one row per light/alley/road and day/month, sorted."""
    key_of = _keys(site, by)
    names = {**site.groups(), **{d.id: d.name for d in site.devices}}
    totals: dict[tuple[str, str], Use] = {}
    for device, day, use in uses:
        key = key_of.get(device)
        if key is None:
            continue
        slot = (key, day if period == "day" else day[:7])
        totals[slot] = totals.get(slot, Use()) + use
    rows = []
    for (key, when), use in sorted(totals.items()):
        kwh, full = use.wh / 1000, use.full_wh / 1000
        saved = max(0.0, full - kwh)
        rows.append(EnergyRow(key, names.get(key, key), when, round(kwh, 3), round(full, 3), round(saved, 3),
                              round(kwh * tariff_vnd_per_kwh), round(saved * tariff_vnd_per_kwh),
                              round(use.on_ms / 3_600_000, 2)))
    return rows


def _keys(site: Site, by: By) -> Mapping[str, str]:
    """device -> the key it is counted under. By alley: a light's own group (an alley, or the road for a
    light on the road itself). By road: the road, with the lights of its alleys."""
    road_of = {a.id: a.road for a in site.alleys}
    out = {}
    for d in site.devices:
        if d.kind != "light":
            continue
        out[d.id] = d.id if by == "light" else d.group if by == "alley" else road_of.get(d.group, d.group)
    return out
