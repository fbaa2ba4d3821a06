from __future__ import annotations

import random

import pytest

from devices.light import LightConfig, LightSet, ScheduleStep
from simulators.light_logic import STANDBY_W, LightLogic, power_w, scheduled_level

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


def test_relay_stuck_refuses_to_switch_and_reports_a_relay_fault() -> None:
    light = LightLogic(fault="relay_stuck")
    outcome = light.apply(cmd(state="ON"), 0)
    assert (outcome.ok, outcome.error, light.on) == (False, "relay_stuck", False)
    assert [e.event for e in outcome.events] == ["relay_fault"]


def test_power_follows_the_level_with_driver_losses_and_a_standby_floor() -> None:
    assert power_w(0, 40) == STANDBY_W
    assert power_w(100, 40) == pytest.approx(44.9, abs=0.1)
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
    assert [e.event for e in light.set_fault(None, 2_000).events] == ["restored"]


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
