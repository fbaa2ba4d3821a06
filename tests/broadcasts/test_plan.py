"""Schedule expansion, quiet hours, priority resolution and clash detection on plain data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pytest
from pydantic import ValidationError

from hub.broadcasts.model import Bulletin, BulletinBody
from hub.broadcasts.plan import (
    Occurrence,
    QuietHours,
    clashes,
    duplicate_emergency,
    expand,
    per_speaker,
    programme,
    quiet_breaches,
)
from hub.scheduling.when import Days, LunarDay
from tests.broadcasts.kit import TZ, bulletin, ms

D = date(2026, 12, 1)  # a Tuesday


def starts(found: Sequence[Occurrence], fmt: str = "%d/%m %H:%M") -> list[str]:
    return [datetime.fromtimestamp(o.start_ms / 1000, TZ).strftime(fmt) for o in found]


# --- expansion --------------------------------------------------------------------------------
def test_daily_at_six_and_five_is_two_a_day() -> None:
    b = bulletin("bd", times=["06:00", "17:00"])
    found = expand([b], ms(D, "00:00"), ms(D + timedelta(days=2), "00:00"), TZ)
    assert starts(found) == ["01/12 06:00", "01/12 17:00", "02/12 06:00", "02/12 17:00"]
    assert [o.id for o in found][:2] == ["bd-202612010600", "bd-202612011700"]


def test_weekly_on_monday_and_a_date_range() -> None:
    b = bulletin("bw", times=["07:00"], days=Days(weekdays=[0], date_to=D + timedelta(days=13)))
    found = expand([b], ms(D, "00:00"), ms(D + timedelta(days=30), "00:00"), TZ)
    assert starts(found, "%a %d/%m") == ["Mon 07/12", "Mon 14/12"]


def test_lunar_days_and_gio_to() -> None:
    ram = bulletin("br", times=["18:00"], days=Days(lunar_days=[15]))
    found = expand([ram], ms(D, "00:00"), ms(D + timedelta(days=60), "00:00"), TZ)
    assert len(found) == 2  # one Rằm per lunar month
    gio_to = bulletin("bg", times=["06:00"], days=Days(lunar_dates=[LunarDay(month=3, day=10)]))
    year = expand([gio_to], ms(date(2027, 1, 1), "00:00"), ms(date(2028, 1, 1), "00:00"), TZ)
    assert starts(year, "%d/%m/%Y") == ["16/04/2027"]  # 10/3 âm lịch 2027


def test_a_holiday_rule() -> None:
    b = bulletin("bh", times=["06:00"], days=Days(holidays=["tet"]))
    found = expand([b], ms(date(2027, 1, 1), "00:00"), ms(date(2027, 3, 1), "00:00"), TZ)
    assert starts(found, "%d/%m") == ["06/02", "07/02", "08/02"]  # Tết Đinh Mùi


def test_one_off_and_cancelled() -> None:
    once = bulletin("bo", at=(D, "08:15"))
    gone = bulletin("bc", at=(D, "09:00"), status="cancelled")
    found = expand([once, gone], ms(D, "00:00"), ms(D, "23:59"), TZ)
    assert [o.bulletin.id for o in found] == ["bo"]


def test_an_occurrence_still_playing_at_the_window_start_is_included() -> None:
    b = bulletin("bp", at=(D, "08:00"), duration_s=600)
    assert len(expand([b], ms(D, "08:05"), ms(D, "09:00"), TZ)) == 1
    assert expand([b], ms(D, "08:10"), ms(D, "09:00"), TZ) == []


def test_repeat_and_gap_make_the_span() -> None:
    b = bulletin("bx", at=(D, "08:00"), duration_s=60, repeat=2, gap_s=30)
    (o,) = expand([b], ms(D, "00:00"), ms(D, "23:00"), TZ)
    assert o.end_ms - o.start_ms == 150_000


# --- quiet hours ------------------------------------------------------------------------------
@pytest.mark.parametrize(("hhmm", "quiet"), [("21:59", False), ("22:00", True), ("02:00", True),
                                              ("05:29", True), ("05:30", False), ("12:00", False)])
def test_quiet_hours_over_midnight(hhmm: str, quiet: bool) -> None:
    b = bulletin("bq", at=(D, hhmm), duration_s=60)
    assert bool(quiet_breaches(expand([b], 0, 2**42, TZ), QuietHours("22:00", "05:30"), TZ)) is quiet


def test_equal_ends_mean_no_quiet_hours() -> None:
    b = bulletin("bq", at=(D, "02:00"))
    assert quiet_breaches(expand([b], 0, 2**42, TZ), QuietHours("00:00", "00:00"), TZ) == []


def test_a_normal_bulletin_running_into_the_night_breaches() -> None:
    b = bulletin("bn", at=(D, "21:55"), duration_s=600)
    assert quiet_breaches(expand([b], 0, 2**42, TZ), QuietHours(), TZ)


@pytest.mark.parametrize("priority", ["priority", "emergency"])
def test_warnings_may_sound_at_night(priority: str) -> None:
    b = bulletin("bn", at=(D, "02:00"), priority=priority)
    assert quiet_breaches(expand([b], 0, 2**42, TZ), QuietHours(), TZ) == []


# --- priorities on one speaker ----------------------------------------------------------------
def play(*bulletins_: Bulletin) -> list[tuple[str, str, str, str | None]]:
    found = expand(bulletins_, ms(D, "00:00"), ms(D + timedelta(days=1), "00:00"), TZ)
    return [(s.occurrence.bulletin.id, datetime.fromtimestamp(s.start_ms / 1000, TZ).strftime("%H:%M:%S"),
             s.outcome, s.by) for s in programme(found)]


def test_routine_is_first_in_first_out() -> None:
    a = bulletin("ba", at=(D, "06:00"), duration_s=120, created=1)
    b = bulletin("bb", at=(D, "06:01"), duration_s=60, created=2)
    assert play(a, b) == [("ba", "06:00:00", "plays", None), ("bb", "06:02:00", "plays", None)]


def test_an_emergency_interrupts_and_the_normal_one_resumes_from_its_repetition() -> None:
    normal = bulletin("bn", at=(D, "06:00"), duration_s=60, repeat=2, gap_s=30)
    alarm = bulletin("be", at=(D, "06:01"), duration_s=30, priority="emergency")
    slots = play(normal, alarm)
    assert slots == [
        ("bn", "06:00:00", "interrupted", "be"),  # cut 60 s in: the first play ended, the gap had begun
        ("be", "06:01:00", "plays", None),
        ("bn", "06:01:30", "plays", None),  # resumes with the second repetition only
    ]
    resumed = programme(expand([normal, alarm], 0, 2**42, TZ))[-1]
    assert resumed.resumed and resumed.end_ms - resumed.start_ms == 60_000


def test_priority_cuts_routine_but_not_an_emergency() -> None:
    normal = bulletin("bn", at=(D, "06:00"), duration_s=300)
    alarm = bulletin("be", at=(D, "06:01"), duration_s=120, priority="emergency")
    warning = bulletin("bw", at=(D, "06:02"), duration_s=60, priority="priority")
    assert play(normal, alarm, warning) == [
        ("bn", "06:00:00", "interrupted", "be"),
        ("be", "06:01:00", "plays", None),  # the warning waits for the emergency
        ("bw", "06:03:00", "plays", None),
        ("bn", "06:04:00", "plays", None),  # routine resumes last, from the start (it was in repetition 1)
    ]


def test_equal_rank_never_interrupts() -> None:
    first = bulletin("b1", at=(D, "06:00"), duration_s=120, priority="priority", created=1)
    second = bulletin("b2", at=(D, "06:01"), duration_s=60, priority="priority", created=2)
    assert [s[:3] for s in play(first, second)] == [("b1", "06:00:00", "plays"), ("b2", "06:02:00", "plays")]


def test_a_bulletin_held_past_its_window_is_missed() -> None:
    long_alarm = bulletin("be", at=(D, "06:00"), duration_s=900, priority="emergency")
    normal = bulletin("bn", at=(D, "06:01"), duration_s=60, window_min=5)
    assert play(long_alarm, normal) == [("be", "06:00:00", "plays", None), ("bn", "06:15:00", "missed", "be")]


def test_nothing_normal_plays_over_an_emergency() -> None:
    alarm = bulletin("be", at=(D, "06:00"), duration_s=300, priority="emergency")
    routine = [bulletin(f"bn{i}", at=(D, f"06:0{i}"), duration_s=30, window_min=30, created=i) for i in range(5)]
    slots = programme(expand([alarm, *routine], 0, 2**42, TZ))
    alarm_slot = next(s for s in slots if s.occurrence.bulletin.id == "be")
    for s in slots:
        if s is not alarm_slot and s.outcome == "plays":
            assert s.start_ms >= alarm_slot.end_ms or s.end_ms <= alarm_slot.start_ms


def test_per_speaker_splits_by_target() -> None:
    a, b = bulletin("ba", at=(D, "06:00")), bulletin("bb", at=(D, "07:00"))
    split = per_speaker(expand([a, b], 0, 2**42, TZ), {"ba": frozenset({"s1", "s2"}), "bb": frozenset({"s2"})})
    assert {k: [o.bulletin.id for o in v] for k, v in split.items()} == {"s1": ["ba"], "s2": ["ba", "bb"]}


# --- clashes ----------------------------------------------------------------------------------
SPEAKERS = {"bold": frozenset({"s1", "s2"}), "bnew": frozenset({"s2", "s3"}), "bfar": frozenset({"s9"})}


def test_an_overlap_on_a_shared_speaker_names_the_other_bulletin_and_time() -> None:
    old = bulletin("bold", times=["06:00"], duration_s=300)
    new = bulletin("bnew", at=(D, "06:03"), duration_s=60)
    (clash, *_) = clashes(new, SPEAKERS, [old], ms(D, "00:00"), ms(D, "23:00"), TZ)
    assert (clash.other.id, clash.at_ms, clash.speaker) == ("bold", ms(D, "06:00"), "s2")


def test_no_clash_on_other_speakers_or_after_the_end() -> None:
    old = bulletin("bold", times=["06:00"], duration_s=300)
    far = bulletin("bfar", at=(D, "06:03"), duration_s=60)
    later = bulletin("bnew", at=(D, "06:05"), duration_s=60)
    window = (ms(D, "00:00"), ms(D + timedelta(days=7), "00:00"), TZ)
    assert clashes(far, SPEAKERS, [old], *window) == []
    assert clashes(later, SPEAKERS, [old], *window) == []


@pytest.mark.parametrize(("new", "old", "clash"), [
    ("normal", "normal", True), ("normal", "emergency", True), ("priority", "priority", True),
    ("priority", "normal", False), ("emergency", "priority", False), ("emergency", "emergency", True),
])
def test_only_an_outranking_bulletin_may_overlap(new: str, old: str, clash: bool) -> None:
    o = bulletin("bold", at=(D, "06:00"), duration_s=300, priority=old)
    n = bulletin("bnew", at=(D, "06:01"), duration_s=60, priority=new)
    assert bool(clashes(n, SPEAKERS, [o], 0, 2**42, TZ)) is clash


def test_a_recurring_clash_found_on_a_later_day() -> None:
    old = bulletin("bold", times=["17:00"], days=Days(weekdays=[4]), duration_s=300)  # Fridays
    new = bulletin("bnew", times=["17:02"], duration_s=60)  # every day
    (first, *_) = clashes(new, SPEAKERS, [old], ms(D, "00:00"), ms(D + timedelta(days=14), "00:00"), TZ)
    assert first.at_ms == ms(date(2026, 12, 4), "17:00")


# --- the same emergency twice -----------------------------------------------------------------
def test_the_same_emergency_within_a_minute_is_the_first_one() -> None:
    first = bulletin("be1", at=(D, "06:00"), priority="emergency", created=1_000)
    again = bulletin("be2", at=(D, "06:00"), priority="emergency", created=30_000)
    everyone = frozenset({"s1", "s2"})
    assert duplicate_emergency(again, everyone, [(first, everyone)], now_ms=30_000) is first
    assert duplicate_emergency(again, everyone, [(first, everyone)], now_ms=61_001) is None
    other_text = bulletin("be3", at=(D, "06:00"), priority="emergency", sha256="b" * 64, created=30_000)
    assert duplicate_emergency(other_text, everyone, [(first, everyone)], now_ms=30_000) is None
    assert duplicate_emergency(again, frozenset({"s1"}), [(first, everyone)], now_ms=30_000) is None


def test_the_body_needs_one_content_and_one_time() -> None:
    with pytest.raises(ValidationError, match="sha256/text"):
        BulletinBody(title="x", times=["06:00"])
    with pytest.raises(ValidationError, match="once_at/times"):
        BulletinBody(title="x", text="Xin chào")
    with pytest.raises(ValidationError, match="appears twice"):
        BulletinBody(title="x", text="Xin chào", times=["06:00", "06:00"])
