"""The calendar facts schedules match on: lunar dates, Tết, Giỗ Tổ, leap months, official days off."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from lunar_vn import LunarDate, lunar_to_solar

from hub.lights.schedules.presets import PRESETS, preset_rule
from hub.lights.schedules.rules import Rule, check_rule
from hub.scheduling.calendar import day_facts, matches
from hub.scheduling.when import Days, LunarDay
from tests.lights.rulekit import PLACE


@pytest.mark.parametrize("year", range(2024, 2031))
def test_the_lunar_calendar_agrees_with_the_holidays_library_on_tet_and_gio_to(year: int) -> None:
    official = holidays.country_holidays("VN", years=year, language="en_US")
    tet = official.get_named("Lunar New Year", lookup="exact")
    gio_to = official.get_named("Hung Kings' Commemoration Day", lookup="exact")
    assert tet == [lunar_to_solar(LunarDate(1, 1, year))]
    assert gio_to == [lunar_to_solar(LunarDate(10, 3, year))]
    assert "tet" in day_facts(tet[0]).holidays and "gio_to" in day_facts(gio_to[0]).holidays
    assert "giao_thua" in day_facts(tet[0] - timedelta(days=1)).holidays


def test_facts_of_a_day() -> None:
    facts = day_facts(date(2026, 3, 3))
    assert (facts.lunar_day, facts.lunar_month, facts.lunar_leap, facts.weekday) == (15, 1, False, 1)
    national = day_facts(date(2026, 9, 2))
    assert "public_holiday" in national.holidays and national.names
    assert day_facts(date(2026, 6, 10)).holidays == frozenset()


def test_a_leap_month_keeps_ram_but_not_dated_festivals() -> None:
    leap_ram = lunar_to_solar(LunarDate(15, 6, 2025, leap=True))  # 2025 has a tháng 6 nhuận
    plain_ram = lunar_to_solar(LunarDate(15, 6, 2025))
    by_day = Days(lunar_days=[15])
    by_date = Days(lunar_dates=[LunarDay(month=6, day=15)])
    assert matches(by_day, day_facts(leap_ram)) and matches(by_day, day_facts(plain_ram))
    assert matches(by_date, day_facts(plain_ram)) and not matches(by_date, day_facts(leap_ram))


def test_all_conditions_must_hold() -> None:
    ram_on_weekend = Days(lunar_days=[15], weekdays=[5, 6])
    assert not matches(ram_on_weekend, day_facts(date(2026, 3, 3)))  # Rằm, but a Tuesday
    assert matches(Days(), day_facts(date(2026, 3, 3)))


def test_specificity_orders_named_days_over_lunar_days_over_ranges_over_weekdays() -> None:
    ranks = [
        Days(holidays=["tet"]).specificity,
        Days(lunar_dates=[LunarDay(month=8, day=15)]).specificity,
        Days(lunar_days=[1]).specificity,
        Days(date_from=date(2026, 1, 1)).specificity,
        Days(weekdays=[0]).specificity,
        Days().specificity,
    ]
    assert ranks == [3, 3, 2, 1, 0, 0]


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_every_preset_resolves_and_names_itself_in_both_languages(key: str) -> None:
    body = preset_rule(key, "ngo-3")
    assert body.target == "ngo-3"
    check_rule(Rule(id="x", **body.model_dump()), PLACE, date(2026, 6, 10))
    preset = PRESETS[key]
    assert preset.name_vi and preset.name_en and preset.describe_vi and preset.describe_en
