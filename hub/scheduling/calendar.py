"""What a day is, for any schedule: its weekday, its Vietnamese lunar date, and the holidays on it. Pure.

Official days off come from the `holidays` library (Vietnam; it moves them by government decision, e.g.
a substituted day). Lunar dates come from `lunar_vn` (Hồ Ngọc Đức's algorithm at UTC+7, the one Vietnamese
calendars print): `holidays` only knows the few lunar festivals that are days off, and a street light also
needs every Rằm (15th) and Mùng 1 (1st). No lunar arithmetic is done here; a test checks the two libraries
agree on Tết and Giỗ Tổ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from lunar_vn import solar_to_lunar

from hub.scheduling.when import Days, Holiday


@dataclass(frozen=True, slots=True)
class DayFacts:
    day: date
    weekday: int  # 0 = Monday (thứ Hai) … 6 = Sunday (Chủ nhật)
    lunar_day: int
    lunar_month: int
    lunar_leap: bool  # a leap month (tháng nhuận) repeats a number: its days are not that month's dates
    holidays: frozenset[Holiday]
    names: tuple[str, ...]  # the holidays library's names of the day, for the preview


@lru_cache(maxsize=8)
def _official(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language="vi")


@lru_cache(maxsize=4096)
def day_facts(day: date) -> DayFacts:
    lunar = solar_to_lunar(day)
    tomorrow = solar_to_lunar(day + timedelta(days=1))
    found: set[Holiday] = set()
    if not lunar.leap and lunar.month == 1 and lunar.day <= 3:
        found.add("tet")
    if not tomorrow.leap and tomorrow.month == 1 and tomorrow.day == 1:
        found.add("giao_thua")
    if not lunar.leap and (lunar.month, lunar.day) == (3, 10):
        found.add("gio_to")
    official = _official(day.year)
    names = tuple(official.get_list(day))
    if names:
        found.add("public_holiday")
    return DayFacts(day, day.weekday(), lunar.day, lunar.month, lunar.leap, frozenset(found), names)


def matches(days: Days, facts: DayFacts) -> bool:
    """Every condition given holds for the day (lunar-date conditions never match a leap-month day)."""
    return all(check(days, facts) for check in _CHECKS)


def _weekdays(days: Days, f: DayFacts) -> bool:
    return days.weekdays is None or f.weekday in days.weekdays


def _range(days: Days, f: DayFacts) -> bool:
    return (days.date_from is None or days.date_from <= f.day) and (days.date_to is None or f.day <= days.date_to)


def _lunar_days(days: Days, f: DayFacts) -> bool:
    # Rằm and Mùng 1 are kept in a leap month too (people still go to the pagoda), unlike dated festivals.
    return days.lunar_days is None or f.lunar_day in days.lunar_days


def _lunar_dates(days: Days, f: DayFacts) -> bool:
    if days.lunar_dates is None:
        return True
    return not f.lunar_leap and any(d.month == f.lunar_month and d.day == f.lunar_day for d in days.lunar_dates)


def _holidays(days: Days, f: DayFacts) -> bool:
    return days.holidays is None or any(h in f.holidays for h in days.holidays)


_CHECKS = (_weekdays, _range, _lunar_days, _lunar_dates, _holidays)
