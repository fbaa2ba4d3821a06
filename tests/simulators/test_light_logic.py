from __future__ import annotations

import random

import pytest

from devices.light import LightConfig, LightSet, ScheduleStep
from simulators.commands import NOTHING
from simulators.light_logic import STANDBY_W, LightLogic, driver_efficiency, power_w, scheduled_level

MINUTE = 60_000


def cmd(**fields: object) -> LightSet:
    return LightSet.model_validate({"command_id": "c", "ts": 0, **fields})


def test_on_off_and_brightness_follow_the_command_and_the_ack_reports_the_result() -> None:
    light = LightLogic()
    outcome = light.apply(cmd(state="ON", brightness=60), 0)
    assert outcome.ok and outcome.changed and dict(outcome.ack) == {"state": "ON", "brightness": 60}
    assert light.level == 60 and light.mode == "manual"
    light.apply(cmd(state="OFF"), 1)
    assert light.level == 0 and light.brightness == 60  # OFF keeps the last brightness...
    light.apply(cmd(state="ON"), 2)
    assert light.level == 60  # ...so a plain ON restores it


def test_brightness_alone_switches_on_and_zero_switches_off() -> None:
    light = LightLogic()
    light.apply(cmd(brightness=30), 0)
    assert (light.on, light.level) == (True, 30)
    light.apply(cmd(brightness=0), 1)
    assert (light.on, light.brightness) == (False, 30)


@pytest.mark.parametrize("fields", [{}, {"state": "ON", "brightness": 0}])
def test_a_meaningless_command_is_refused_with_the_current_state(fields: dict[str, object]) -> None:
    light = LightLogic()
    outcome = light.apply(cmd(**fields), 0)
    assert not outcome.ok and outcome.error is not None and outcome.error.startswith("invalid")
    assert not outcome.changed and outcome.ack["state"] == "OFF"


def test_a_relay_stuck_open_leaves_the_lamp_dark_and_says_so() -> None:
    light = LightLogic(fault="relay_stuck")
    outcome = light.apply(cmd(state="ON"), 0)
    assert (outcome.ok, outcome.error, dict(outcome.ack)) == (False, "relay_stuck", {"state": "OFF", "brightness": 100})
    assert [e.event for e in outcome.events] == ["relay_fault"]
    assert (light.on, light.relay_closed, light.state_fields()["state"]) == (True, False, "OFF")


def test_a_relay_stuck_closed_keeps_the_lamp_lit_and_drawing_when_told_off() -> None:
    light = LightLogic()
    light.apply(cmd(state="ON", brightness=80), 0)
    assert light.set_fault("relay_stuck", 1).events == ()  # nothing to notice until a switch fails
    outcome = light.apply(cmd(state="OFF"), 2)
    assert (outcome.ok, outcome.error, outcome.ack["state"]) == (False, "relay_stuck", "ON")
    assert [e.event for e in outcome.events] == ["relay_fault"]
    assert light.state_fields()["state"] == "ON"  # the actual state: the app must not show it off
    sample = light.sample(3, random.Random(1))
    assert sample["level"] == 0  # commanded off...
    assert float(str(sample["power_w"])) == pytest.approx(power_w(80, 40), rel=0.05)  # ...but drawing
    assert light.apply(cmd(state="OFF"), 4).events == ()  # announced once
    cleared = light.set_fault(None, 5)
    assert cleared.changed and [e.event for e in cleared.events] == ["restored"]
    assert light.state_fields()["state"] == "OFF"  # the repaired relay follows the command


def test_dimming_still_works_with_a_stuck_relay() -> None:
    light = LightLogic()
    light.apply(cmd(state="ON", brightness=100), 0)
    light.set_fault("relay_stuck", 1)
    outcome = light.apply(cmd(state="ON", brightness=40), 2)
    assert outcome.ok and (light.level, light.lit_level) == (40, 40)


def test_power_follows_the_level_with_driver_losses_and_a_standby_floor() -> None:
    assert power_w(0, 40) == STANDBY_W
    assert power_w(100, 40) == pytest.approx(STANDBY_W + 40 / 0.92)
    assert power_w(10, 40) == pytest.approx(STANDBY_W + 4 / 0.884)
    assert 0.88 <= driver_efficiency(1) < driver_efficiency(50) < driver_efficiency(100) <= 0.92
    levels = [power_w(level, 40) for level in range(0, 101, 10)]
    assert levels == sorted(levels)
    assert power_w(100, 40, lamp_ok=False) < 1.0


def test_lamp_failure_draws_almost_nothing_while_on_and_is_announced() -> None:
    light = LightLogic()
    light.apply(cmd(state="ON", brightness=100), 0)
    outcome = light.set_fault("lamp_failure", 0)
    assert [e.event for e in outcome.events] == ["lamp_failure"]
    sample = light.sample(1_000, random.Random(1))
    assert sample["level"] == 100 and float(str(sample["power_w"])) < 1.0
    assert light.state_fields()["state"] == "ON"  # on, but no light: what the hub's detector looks for
    assert [e.event for e in light.set_fault(None, 2_000).events] == ["restored"]


def test_a_dead_lamp_is_noticed_when_it_is_switched_on_not_by_day() -> None:
    light = LightLogic()
    assert light.set_fault("lamp_failure", 0).events == ()  # off: the metering cannot tell
    assert [e.event for e in light.apply(cmd(state="ON"), 1).events] == ["lamp_failure"]
    light.apply(cmd(state="OFF"), 2)
    assert light.apply(cmd(state="ON"), 3).events == ()  # announced once


def test_a_lost_mains_stops_the_light_and_its_energy_and_it_restarts_on_its_schedule() -> None:
    light = LightLogic()
    light.configure(schedule((0, 70)), 0)
    light.apply(cmd(state="OFF"), MINUTE)  # a manual hold...
    light.sample(MINUTE, random.Random(1))
    light.power_lost(2 * MINUTE)
    assert (light.level, light.next_deadline(2 * MINUTE), light.tick(3 * MINUTE)) == (0, None, NOTHING)
    energy = light.energy_wh
    restored = light.power_restored(62 * MINUTE)  # an hour without mains draws nothing
    assert light.energy_wh == pytest.approx(energy)
    assert restored.changed and (light.mode, light.level, light.state_fields()["state"]) == ("schedule", 70, "ON")


def test_without_a_schedule_a_light_comes_back_as_it_was() -> None:
    light = LightLogic()
    light.apply(cmd(state="ON", brightness=55), 0)
    light.power_lost(1)
    light.power_restored(2)
    assert (light.mode, light.level, light.relay_closed) == ("manual", 55, True)


def test_energy_integrates_power_over_time_across_a_switch() -> None:
    light = LightLogic()
    light.sample(0, random.Random(1))
    light.apply(cmd(state="ON", brightness=100), 1_800_000)  # half an hour at standby
    sample = light.sample(3_600_000, random.Random(1))  # then half an hour at full power
    expected = (STANDBY_W + power_w(100, 40)) / 2
    assert sample["energy_wh"] == pytest.approx(expected, rel=1e-3)


def test_telemetry_is_plausible_and_valid() -> None:
    light = LightLogic()
    light.apply(cmd(state="ON", brightness=50), 0)
    rng = random.Random(7)
    for t in range(1, 50):
        sample = light.sample(t * 10_000, rng)
        assert 210 < float(str(sample["voltage_v"])) < 230
        assert float(str(sample["power_w"])) == pytest.approx(power_w(50, 40), rel=0.05)


def schedule(*steps: tuple[int, int], version: int = 1) -> LightConfig:
    return LightConfig(version=version, steps=[ScheduleStep(at=at, brightness=b) for at, b in steps])


def test_the_light_follows_its_schedule_on_its_own() -> None:
    light = LightLogic()
    config = schedule((10 * MINUTE, 80), (20 * MINUTE, 30), (30 * MINUTE, 0))
    assert scheduled_level(config, 15 * MINUTE) == 80 and scheduled_level(config, 0) is None
    outcome = light.configure(config, 0)
    assert outcome.changed and light.state_fields()["config_version"] == 1 and light.level == 0
    assert light.next_deadline(0) == 10 * MINUTE
    assert [e.event for e in light.tick(10 * MINUTE).events] == ["schedule_applied"]
    assert light.level == 80 and light.next_deadline(10 * MINUTE) == 20 * MINUTE
    light.tick(30 * MINUTE)
    assert light.level == 0 and light.next_deadline(30 * MINUTE) is None


def test_an_override_lasts_for_minutes_then_the_schedule_resumes() -> None:
    light = LightLogic()
    light.configure(schedule((0, 40)), 0)
    light.apply(cmd(state="ON", brightness=100, for_minutes=5), MINUTE)
    assert (light.mode, light.level, light.next_deadline(MINUTE)) == ("override", 100, 6 * MINUTE)
    outcome = light.tick(6 * MINUTE)
    assert outcome.changed and (light.mode, light.level) == ("schedule", 40)


def test_a_manual_set_holds_until_the_next_schedule_step() -> None:
    light = LightLogic()
    light.configure(schedule((0, 40), (60 * MINUTE, 0)), 0)
    light.apply(cmd(state="OFF"), MINUTE)
    assert (light.mode, light.level, light.next_deadline(MINUTE)) == ("manual", 0, 60 * MINUTE)
    light.tick(30 * MINUTE)
    assert light.level == 0
    light.tick(60 * MINUTE)
    assert (light.mode, light.level) == ("schedule", 0)


def test_an_override_ends_on_the_lights_own_clock_even_across_several_steps() -> None:
    light = LightLogic()
    light.configure(schedule((0, 0), (10 * MINUTE, 100), (20 * MINUTE, 50)), 0)
    light.apply(cmd(state="ON", brightness=30, for_minutes=120), MINUTE)  # "2 hours for a wedding"
    assert light.tick(15 * MINUTE) == NOTHING and light.level == 30  # steps during the override wait
    light.tick(121 * MINUTE)
    assert (light.mode, light.level) == ("schedule", 50)


def test_the_state_echoes_the_version_of_the_config_it_runs() -> None:
    light = LightLogic()
    assert light.state_fields()["config_version"] is None
    light.configure(schedule((0, 20), version=7), 0)
    assert light.state_fields()["config_version"] == 7
    light.configure(schedule((0, 20), version=8), 1)
    assert light.state_fields()["config_version"] == 8
