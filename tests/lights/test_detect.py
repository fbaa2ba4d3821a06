"""The fault detectors at their boundaries, so a changed threshold, a strict comparison or a rule that
ignores the lamp's level fails here. Lamp failure: lit (level > 0) and drawing under
max(1.5 W, a fifth of its full power scaled by its level); relay fault: unlit and drawing over 3 W."""

from __future__ import annotations

import pytest

from hub.lights.faults.detect import (
    DEAD_FRACTION,
    DEAD_MIN_W,
    LEAK_W,
    Context,
    Reading,
    burning_by_day,
    group_offline,
    lamp_failure,
    relay_fault,
)

FULL_30 = Context(full_w=30.0, scheduled_level=50, daylight=False)  # at level 50 a fifth is exactly 3 W
FULL_45 = Context(full_w=45.0, scheduled_level=100, daylight=False)


def test_the_rule_as_written() -> None:
    assert (DEAD_FRACTION, DEAD_MIN_W, LEAK_W) == (0.2, 1.5, 3.0)


@pytest.mark.parametrize(("level", "power_w", "context", "failed"), [
    # level 50 of a 30 W lamp: a fifth of 15 W is 3 W, the line itself is still lit
    (50, 3.0, FULL_30, False),
    (50, 2.99, FULL_30, True),
    # the same 3 W is a failure at level 100 (a fifth of 30 W is 6 W) and fine at level 25 (floor 1.5 W):
    # the level counts, not the power alone
    (100, 3.0, FULL_30, True),
    (100, 6.0, FULL_30, False),
    (100, 5.99, FULL_30, True),
    (25, 3.0, FULL_30, False),
    # level 50 of a 45 W lamp: the line is 4.5 W
    (50, 4.5, FULL_45, False),
    (50, 4.49, FULL_45, True),
    (50, 3.0, FULL_45, True),
    # dimmed low, the controller's floor holds: 1.5 W, not a fifth of 1% (0.09 W)
    (1, 1.5, FULL_45, False),
    (1, 1.49, FULL_45, True),
    (10, 1.5, FULL_30, False),
    (10, 1.49, FULL_30, True),
])
def test_lamp_failure_at_its_boundaries(level: int, power_w: float, context: Context, failed: bool) -> None:
    assert lamp_failure(Reading(level, power_w, "ON"), context) is failed


@pytest.mark.parametrize("power_w", [0.0, 0.5, 44.0])
def test_an_unlit_lamp_cannot_show_a_lamp_failure(power_w: float) -> None:
    assert lamp_failure(Reading(0, power_w, "OFF"), FULL_45) is None


@pytest.mark.parametrize(("level", "power_w", "fault"), [
    (0, 3.0, False),  # the line: up to 3 W is the controller's own draw
    (0, 3.01, True),
    (0, 0.5, False),
    (1, 40.0, None),  # lit: a relay fault cannot show
])
def test_relay_fault_at_its_boundaries(level: int, power_w: float, fault: bool | None) -> None:
    assert relay_fault(Reading(level, power_w), FULL_45) is fault


@pytest.mark.parametrize(("reading", "context", "burning"), [
    (Reading(0, 3.0, "OFF", "schedule"), Context(45.0, 0, True), False),
    (Reading(0, 3.01, "OFF", "schedule"), Context(45.0, 0, True), True),
    (Reading(1, 0.5, "ON", "schedule"), Context(45.0, 0, True), True),
    (Reading(100, 44.0, "ON", "schedule"), Context(45.0, 1, True), False),  # the schedule asks for light
    (Reading(100, 44.0, "ON", "schedule"), Context(45.0, 0, False), False),  # dusk: not full daylight
    (Reading(100, 44.0, "ON", "schedule"), Context(45.0, None, True), False),  # no schedule known
    (Reading(100, 44.0, "ON", "manual"), Context(45.0, 0, True), False),
    (Reading(100, 44.0, "ON", None), Context(45.0, 0, True), True),
])
def test_burning_by_day(reading: Reading, context: Context, burning: bool) -> None:
    assert burning_by_day(reading, context) is burning


T = 1_000_000
HOLD = 30_000


def test_every_cabinet_is_decided_though_one_before_it_is_still_waiting() -> None:
    cabinet_of = {"den-1": "tu-1", "den-9": "tu-2"}
    pending = {"den-1": T, "den-9": T - HOLD}  # tủ 1's light has just gone; tủ 2's has waited long enough
    verdict = group_offline(pending, cabinet_of, {"tu-1": 8, "tu-2": 6}, T, HOLD)
    assert (verdict.incidents, verdict.singles) == ({}, ["den-9"])


def test_a_cabinet_of_unknown_size_takes_two_lights_together() -> None:
    cabinet_of: dict[str, str | None] = {"a": "tu-x", "b": "tu-x", "c": None}
    both = group_offline({"a": T - HOLD, "b": T - HOLD}, cabinet_of, {}, T, HOLD)
    assert (both.incidents, both.singles) == ({"tu-x": ["a", "b"]}, [])
    one = group_offline({"a": T - HOLD, "c": T - HOLD}, cabinet_of, {}, T, HOLD)
    assert (one.incidents, one.singles) == ({}, ["a", "c"])  # a light with no cabinet is always alone
