"""Fault detectors, power-cabinet grouping and energy as pure functions with plain data."""

from __future__ import annotations

import pytest

from hub.lights.energy.meter import Sample, Use, between, roll_up
from hub.lights.faults.detect import (
    Context,
    FaultKind,
    Reading,
    evaluate,
    group_offline,
    together_threshold,
)
from tests.lights.sites import hamlet

NIGHT = Context(full_w=45.0, scheduled_level=100, daylight=False)
DAY = Context(full_w=45.0, scheduled_level=0, daylight=True)


@pytest.mark.parametrize(("reading", "context", "want"), [
    # a healthy lamp at full and dimmed: nothing
    (Reading(100, 44.9, "ON"), NIGHT, {}),
    (Reading(10, 5.4, "ON"), NIGHT, {}),
    # on but drawing what the controller alone draws: the lamp is out
    (Reading(100, 0.8, "ON"), NIGHT, {FaultKind.LAMP_FAILURE: True}),
    (Reading(10, 0.8, "ON"), NIGHT, {FaultKind.LAMP_FAILURE: True}),
    # off but drawing power: the relay is welded
    (Reading(0, 44.0, "OFF"), NIGHT, {FaultKind.RELAY_FAULT: True}),
    (Reading(0, 0.5, "OFF"), NIGHT, {FaultKind.RELAY_FAULT: False}),
    # lit in daylight while the schedule says off
    (Reading(100, 44.9, "ON", "schedule"), DAY, {FaultKind.BURNING_BY_DAY: True}),
    # … unless someone asked for it
    (Reading(100, 44.9, "ON", "override"), DAY, {FaultKind.BURNING_BY_DAY: False}),
    (Reading(0, 0.5, "OFF", "schedule"), DAY, {FaultKind.BURNING_BY_DAY: False}),
])
def test_detectors(reading: Reading, context: Context, want: dict[FaultKind, bool]) -> None:
    verdict = evaluate(reading, context)
    found = {k for k, v in verdict.items() if v}
    assert found == {k for k, v in want.items() if v}
    for kind, value in want.items():
        assert verdict[kind] is value


def test_an_unlit_lamp_cannot_show_it_is_burnt_out() -> None:
    assert evaluate(Reading(0, 0.5, "OFF"), NIGHT)[FaultKind.LAMP_FAILURE] is None
    assert evaluate(Reading(100, 44.9, "ON"), NIGHT)[FaultKind.RELAY_FAULT] is None


def test_lights_of_one_cabinet_lost_together_are_one_incident() -> None:
    site = hamlet()
    cabinet = {d.id: d.cabinet for d in site.devices}
    size = {"tu-1": 8, "tu-2": 6}
    t = 1_000_000
    pending = {f"den-{i}": t + i * 1000 for i in range(1, 9)}  # all of tủ 1 within 8 s
    pending["den-10"] = t  # one light of tủ 2, alone
    assert group_offline(pending, cabinet, size, t + 5_000, 30_000).incidents == {}  # still waiting
    verdict = group_offline(pending, cabinet, size, t + 31_000, 30_000)  # den-1 has waited 30 s
    assert verdict.incidents == {"tu-1": sorted(f"den-{i}" for i in range(1, 9))}
    assert verdict.singles == ["den-10"]


def test_two_lights_of_a_big_cabinet_are_two_faults_not_a_power_loss() -> None:
    cabinet = {"a": "tu-1", "b": "tu-1"}
    verdict = group_offline({"a": 0, "b": 0}, cabinet, {"tu-1": 20}, 60_000, 30_000)
    assert verdict == type(verdict)({}, ["a", "b"])
    assert [together_threshold(n) for n in (1, 2, 4, 6, 20)] == [2, 2, 2, 3, 3]


def test_energy_from_the_meter_and_what_dimming_saved() -> None:
    ten = 10 * 60_000
    dimmed = between(Sample(0, 100.0, 23.0, 50), Sample(ten, 104.0, 23.0, 50), full_w=45.0)
    assert dimmed == Use(4.0, 7.5, ten)  # 45 W for 10 min is 7.5 Wh: dimming saved 3.5 Wh
    reset = between(Sample(0, 500.0, 40.0, 100), Sample(ten, 2.0, 44.0, 100), full_w=45.0)
    assert reset.wh == pytest.approx(7.0) and reset.full_wh == pytest.approx(7.5)
    off = between(Sample(0, 10.0, 0.5, 0), Sample(ten, 10.1, 0.5, 0), full_w=45.0)
    assert off.wh == pytest.approx(0.1) and off.full_wh == off.wh and off.on_ms == 0  # standby: no saving
    gap = between(Sample(0, 0.0, 23.0, 50), Sample(3 * 3_600_000, 69.0, 23.0, 50), 45.0)
    assert gap == Use(69.0, 69.0, 0)  # the meter's energy counts; lit time across the gap does not
    assert between(Sample(0, 9.0, 1, 1), Sample(3 * 3_600_000, 2.0, 1, 1), 45.0) == Use()  # reset and gap


def test_energy_rolls_up_by_light_alley_and_road_in_kwh_and_dong() -> None:
    site = hamlet()
    night = Use(230.0, 450.0, 10 * 3_600_000)
    uses = [("den-1", "2026-06-10", night), ("den-2", "2026-06-10", night), ("duong-den-1", "2026-06-10", night),
            ("den-1", "2026-06-11", night)]
    by_road = roll_up(uses, site, "road", "day", 2_000)
    assert [(r.key, r.period, r.kwh, r.saved_kwh, r.cost_vnd, r.saved_vnd) for r in by_road] == [
        ("duong-1", "2026-06-10", 0.69, 0.66, 1380, 1320),
        ("duong-1", "2026-06-11", 0.23, 0.22, 460, 440),
    ]
    by_alley = roll_up(uses, site, "alley", "month", 2_000)
    assert [(r.key, r.name, r.period, r.kwh) for r in by_alley] == [
        ("duong-1", "Đường 1", "2026-06", 0.23), ("ngo-3", "Ngõ 3", "2026-06", 0.69),
    ]
    by_light = roll_up(uses, site, "light", "month", 2_000)
    assert by_light[0].key == "den-1" and by_light[0].lit_hours == 20.0 and by_light[0].name == "Đèn 1"
