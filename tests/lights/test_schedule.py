"""Schedule resolution as pure functions: sun times, dimming profiles, lunar days, Tết, overlaps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from hub.lights.schedules.rules import check_rule, resolve
from hub.scheduling.timeline import changes
from hub.scheduling.when import At, Days
from tests.lights.rulekit import PLACE, as_pairs, level_at, local, ms, rule, sunrise, sunset

D = date(2026, 6, 10)  # an ordinary Wednesday; lunar 25/4
SUN = rule("sun", [("sunset", 100)], "sunrise")
SAVER = rule("saver", [("sunset", 100), ("23:00", 50)], "sunrise")


def test_by_the_sun_turns_on_at_sunset_and_off_at_sunrise() -> None:
    steps = resolve([SUN], PLACE, local(D, "12:00"), local(D + timedelta(days=1), "12:00"))
    assert as_pairs(steps) == [
        (ms(local(D, "12:00")), 0, None),
        (ms(sunset(D)), 100, "sun"),
        (ms(sunrise(D + timedelta(days=1))), 0, None),
    ]
    # Phú Thọ in June: sunset a little before 18:45, sunrise a little after 05:15.
    assert local(D, "18:30") < sunset(D) < local(D, "18:50")


def test_a_dimming_profile_follows_the_night_across_midnight() -> None:
    profile = rule("p", [("sunset+10", 100), ("23:00", 50), ("01:00", 30)], "sunrise-10")
    steps = resolve([profile], PLACE, local(D, "12:00"), local(D + timedelta(days=1), "12:00"))
    nxt = D + timedelta(days=1)
    assert [(s.at_ms, s.value) for s in steps] == [
        (ms(local(D, "12:00")), 0),
        (ms(sunset(D, 10)), 100),
        (ms(local(D, "23:00")), 50),
        (ms(local(nxt, "01:00")), 30),
        (ms(sunrise(nxt, -10)), 0),
    ]


def test_the_timeline_starts_with_the_level_in_force_at_the_window_start() -> None:
    steps = resolve([SAVER], PLACE, local(D, "23:30"), local(D + timedelta(days=1), "23:30"))
    assert steps[0].at_ms == ms(local(D, "23:30")) and steps[0].value == 50
    assert level_at(steps, local(D + timedelta(days=1), "03:00")) == 50
    assert level_at(steps, local(D + timedelta(days=1), "12:00")) == 0


def test_ram_night_outranks_the_everyday_profile() -> None:
    ram = rule("ram", [("sunset", 100)], "sunrise", priority=20, days={"lunar_days": [15]})
    ram_day = date(2026, 3, 3)  # Rằm tháng Giêng 2026 (15/1 âm lịch)
    steps = resolve([SAVER, ram], PLACE, local(ram_day, "12:00"), local(ram_day + timedelta(days=2), "12:00"))
    assert level_at(steps, local(ram_day + timedelta(days=1), "02:00")) == 100  # Rằm night: full all night
    assert level_at(steps, local(ram_day + timedelta(days=2), "02:00")) == 50  # 16/1: back to saving
    assert {s.rule_id for s in steps} == {None, "ram", "saver"}


def test_mung_1_and_ram_follow_the_lunar_calendar_not_the_solar_one() -> None:
    lunar = rule("lunar", [("sunset", 100)], "sunrise", days={"lunar_days": [1, 15]})
    start = local(date(2026, 3, 1), "12:00")
    steps = resolve([lunar], PLACE, start, start + timedelta(days=31))
    on_evenings = sorted({s.at_ms for s in steps if s.value == 100})
    assert on_evenings == [ms(sunset(date(2026, 3, 3))), ms(sunset(date(2026, 3, 19)))]  # 15/1 and 1/2


def test_tet_lights_giao_thua_and_the_three_days_of_tet() -> None:
    tet = rule("tet", [("sunset", 100)], "sunrise", priority=30, days={"holidays": ["giao_thua", "tet"]})
    base = rule("base", [("sunset", 100), ("22:00", 0)], "sunrise")  # the lanes are dark after 22:00
    start = local(date(2026, 2, 14), "12:00")
    steps = resolve([base, tet], PLACE, start, start + timedelta(days=8))
    at_2am = {d: level_at(steps, local(date(2026, 2, d + 1), "02:00")) for d in range(14, 21)}
    # 16/02/2026 is Giao thừa, 17-19/02 are Mùng 1-3 Tết Bính Ngọ.
    assert at_2am == {14: 0, 15: 0, 16: 100, 17: 100, 18: 100, 19: 100, 20: 0}


def test_gio_to_hung_vuong_by_lunar_date_and_by_holiday_name_agree() -> None:
    by_date = rule("a", [("sunset", 100)], "sunrise", days={"lunar_dates": [{"month": 3, "day": 10}]})
    by_name = rule("b", [("sunset", 100)], "sunrise", days={"holidays": ["gio_to"]})
    start = local(date(2026, 4, 1), "12:00")
    for r in (by_date, by_name):
        steps = resolve([r], PLACE, start, start + timedelta(days=40))
        assert [s.at_ms for s in steps if s.value] == [ms(sunset(date(2026, 4, 26)))]


def test_equal_priority_the_narrower_days_win() -> None:
    weekdays = rule("weekdays", [("sunset", 40)], "sunrise", days={"weekdays": [0, 1, 2, 3, 4, 5, 6]})
    ram = rule("ram", [("sunset", 90)], "sunrise", days={"lunar_days": [15]})
    ram_day = date(2026, 3, 3)
    steps = resolve([weekdays, ram], PLACE, local(ram_day, "12:00"), local(ram_day, "23:59"))
    assert level_at(steps, local(ram_day, "21:00")) == 90


def test_equal_priority_and_days_the_rule_listed_first_wins() -> None:
    first = rule("first", [("sunset", 70)], "sunrise")
    second = rule("second", [("sunset", 30)], "sunrise")
    for rules, want in (([first, second], 70), ([second, first], 30)):
        steps = resolve(rules, PLACE, local(D, "12:00"), local(D, "23:59"))
        assert level_at(steps, local(D, "21:00")) == want


def test_a_higher_priority_window_inside_a_night_hands_back_to_the_profile() -> None:
    one_night = {"date_from": "2026-06-11", "date_to": "2026-06-11"}
    quiet = rule("quiet", [("01:00", 0)], "04:00", priority=50, days=one_night)
    profile = rule("p", [("sunset", 100), ("23:00", 50)], "sunrise")
    steps = resolve([profile, quiet], PLACE, local(D, "12:00"), local(D + timedelta(days=1), "12:00"))
    nxt = D + timedelta(days=1)
    assert [(s.at_ms, s.value) for s in steps][1:] == [
        (ms(sunset(D)), 100),
        (ms(local(D, "23:00")), 50),
        (ms(local(nxt, "01:00")), 0),
        (ms(local(nxt, "04:00")), 50),  # the profile still holds: back to its level at 04:00
        (ms(sunrise(nxt)), 0),
    ]


def test_weekdays_and_date_ranges() -> None:
    weekend = rule("w", [("sunset", 100)], "sunrise", days={"weekdays": [5, 6], "date_from": "2026-06-01",
                                                            "date_to": "2026-06-14"})
    start = local(date(2026, 6, 1), "12:00")
    steps = resolve([weekend], PLACE, start, start + timedelta(days=30))
    evenings = [s.at_ms for s in steps if s.value]
    assert evenings == [ms(sunset(date(2026, 6, d))) for d in (6, 7, 13, 14)]


def test_disabled_rules_do_nothing_and_no_rule_means_off() -> None:
    off = SUN.model_copy(update={"enabled": False})
    steps = resolve([off], PLACE, local(D, "12:00"), local(D + timedelta(days=3), "12:00"))
    assert as_pairs(steps) == [(ms(local(D, "12:00")), 0, None)]


def test_a_week_of_preview_stays_small_and_config_steps_merge_equal_levels() -> None:
    again = rule("again", [("23:00", 50)], "sunrise", priority=20)  # same level as SAVER after 23:00
    steps = resolve([SAVER, again], PLACE, local(D, "12:00"), local(D + timedelta(days=7), "12:00"))
    compact = changes(steps)
    assert len(compact) == 1 + 7 * 3 and len(steps) == len(compact)  # rule changes at 23:00 too
    only_saver = changes(resolve([SAVER], PLACE, local(D, "12:00"), local(D + timedelta(days=7), "12:00")))
    assert compact == only_saver


def test_a_rule_longer_than_a_day_is_refused() -> None:
    long = rule("long", [("sunset", 100), ("06:00", 50), ("17:00", 20)], "sunrise")
    with pytest.raises(ValueError, match="24 hours"):
        check_rule(long, PLACE, D)


def test_models_name_the_wrong_field() -> None:
    with pytest.raises(ValidationError, match="time"):
        At(anchor="clock")
    with pytest.raises(ValidationError, match="date_to"):
        Days.model_validate({"date_from": "2026-06-02", "date_to": "2026-06-01"})
