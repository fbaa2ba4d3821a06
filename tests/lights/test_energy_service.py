"""Energy from the lights' telemetry on the in-memory bus: per light and day, kWh, đồng, what dimming
saved, and no interval lost or counted twice across a restart or a replay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.lights.energy.meter import local_day
from hub.lights.energy.service import EnergyService, FullPower
from hub.scheduling.sun import Place
from hub.statedb import StateDB
from tests.lights.fakes import Rig, rig_of
from tests.lights.sites import hamlet

SITE = hamlet()
TEN_MIN = 10 * 60_000


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    for r in rig_of(tmp_path, SITE):
        r.all_online()
        yield r


def run_night(rig: Rig, samples: int) -> None:
    """den-1 at full power (45 W), den-2 dimmed to 50% (23 W), every ten minutes."""
    for i in range(samples):
        rig.lights["den-1"].telemetry(100, 45.0, 7.5 * i)
        rig.lights["den-2"].telemetry(50, 23.0, 23.0 / 6 * i)
        rig.settle()
        rig.clock.advance(TEN_MIN)


def test_energy_per_light_with_the_saving_of_dimming(rig: Rig, tmp_path: Path) -> None:
    energy = EnergyService(SITE, StateDB(tmp_path / "hub.sqlite3"), FullPower(), 2_000)
    rig.ingest.observers.append(energy.observe)
    run_night(rig, 7)
    day = local_day(rig.clock.now - TEN_MIN, Place.of(SITE).tz)
    rows = {r.key: r for r in energy.report("light", "day", "2000-01-01", "2100-01-01")}
    assert set(rows) == {"den-1", "den-2"} and rows["den-1"].period == day
    assert (rows["den-1"].kwh, rows["den-1"].saved_kwh, rows["den-1"].cost_vnd) == (0.045, 0.0, 90)
    assert (rows["den-2"].kwh, rows["den-2"].full_kwh, rows["den-2"].saved_kwh) == (0.023, 0.045, 0.022)
    assert rows["den-2"].saved_vnd == 44 and rows["den-2"].lit_hours == 1.0
    [alley] = energy.report("alley", "month", "2000-01-01", "2100-01-01")
    assert (alley.key, alley.name, alley.kwh) == ("ngo-3", "Ngõ 3", 0.068)


def test_a_restart_continues_from_the_last_sample_and_replays_count_once(rig: Rig, tmp_path: Path) -> None:
    db = StateDB(tmp_path / "hub.sqlite3")
    first = EnergyService(SITE, db, FullPower(), 2_000)
    rig.ingest.observers.append(first.observe)
    run_night(rig, 4)
    first.flush()
    second = EnergyService(SITE, db, FullPower(), 2_000)  # the hub restarts
    rig.ingest.observers[:] = [second.observe]
    rig.lights["den-1"].telemetry(100, 45.0, 7.5 * 4)  # the next sample, after the restart
    rig.settle()
    rig.clock.advance(-2 * TEN_MIN)
    rig.lights["den-1"].telemetry(100, 45.0, 7.5 * 2)  # an old one, replayed by the broker
    rig.settle()
    rows = {r.key: r for r in second.report("light", "month", "2000-01-01", "2100-01-01")}
    assert rows["den-1"].kwh == 0.03  # four intervals of 7.5 Wh, none twice
