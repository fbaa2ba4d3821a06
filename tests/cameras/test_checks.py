"""The picture checks as pure functions on numpy frames: each fault is named within its debounce and clears,
one odd frame raises nothing, and light falling (dusk) is not a fault."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from hub.cameras.checks import RULES, Check, failing, measure, scores
from hub.cameras.frames import Gray
from hub.cameras.watch import WARMUP, Period, Watch
from tests.cameras.frames import blurred, covered, glare, shot, view

BASE = view(1)


def learnt(rng: np.random.Generator, period: str = "day") -> Watch:
    watch = Watch()
    for _ in range(WARMUP + 3):
        verdict = watch.observe(shot(BASE, rng), period)  # type: ignore[arg-type]
        assert not verdict.failing
    return watch


FAULTS: dict[Check, Callable[[np.random.Generator], Gray]] = {
    Check.BLACK: lambda rng: np.zeros_like(BASE),
    Check.COVERED: covered,
    Check.BLURRED: lambda rng: blurred(BASE, rng),
    Check.MOVED: lambda rng: shot(view(99), rng),
    Check.GLARE: lambda rng: glare(BASE, rng),
    Check.NOISY: lambda rng: shot(BASE, rng, sigma=25),
}


@pytest.mark.parametrize("check", list(FAULTS))
def test_each_fault_raises_after_its_debounce_alone_and_clears(check: Check) -> None:
    rng = np.random.default_rng(7)
    watch = learnt(rng)
    raised_at = None
    for probe in range(1, RULES[check].debounce + 1):
        verdict = watch.observe(FAULTS[check](rng), "day")
        if verdict.active and raised_at is None:
            raised_at = probe
    assert raised_at == RULES[check].debounce
    assert verdict.active == {check}, verdict.scores
    for _ in range(RULES[check].debounce):
        verdict = watch.observe(shot(BASE, rng), "day")
    assert verdict.active == frozenset()


def test_frozen_camera_same_bytes_or_same_picture() -> None:
    rng = np.random.default_rng(3)
    watch = learnt(rng)
    frame = shot(BASE, rng)
    states = [watch.observe(frame, "day", same_bytes=True).active for _ in range(RULES[Check.FROZEN].debounce)]
    assert states[-1] == {Check.FROZEN} and not states[0]
    still = Watch()
    active = [still.observe(frame.copy(), "day").active for _ in range(RULES[Check.FROZEN].debounce + 1)]
    assert active[-1] == {Check.FROZEN}


def test_a_frozen_clock_region_is_frozen_even_when_the_rest_still_changes() -> None:
    rng = np.random.default_rng(4)
    clock = (0.0, 0.0, 0.3, 0.1)
    watch = Watch(clock=clock)
    frame = BASE.copy()
    for _ in range(RULES[Check.FROZEN].debounce + 1):
        moving = shot(frame, rng)
        moving[:18, :96] = BASE[:18, :96]  # the clock's pixels never change
        verdict = watch.observe(moving, "day")
    assert Check.FROZEN in verdict.active
    assert verdict.measures.clock_motion == 0.0 and verdict.measures.motion > 0.5


def test_one_odd_frame_raises_nothing() -> None:
    rng = np.random.default_rng(5)
    watch = learnt(rng)
    for odd in (covered(rng), shot(view(42), rng), glare(BASE, rng)):  # a truck, a headlight
        assert watch.observe(odd, "day").failing
        assert watch.observe(shot(BASE, rng), "day").active == frozenset()


def test_dusk_dimming_and_night_noise_are_not_faults() -> None:
    rng = np.random.default_rng(6)
    watch = learnt(rng)
    for step in range(40):  # the light falls to a fifth, the grain grows, over forty probes
        gain = 1.0 - 0.8 * step / 39
        light: Period = "day" if gain > 0.8 else "twilight" if gain > 0.4 else "night"
        verdict = watch.observe(shot(BASE, rng, gain=gain, sigma=2 + 2 * step / 39), light)
        assert verdict.active == frozenset(), (step, verdict.scores)


def test_a_fault_never_becomes_the_baseline() -> None:
    rng = np.random.default_rng(8)
    watch = learnt(rng)
    frames = watch.learners["day"].frames
    for _ in range(20):
        watch.observe(covered(rng), "day")
    assert watch.learners["day"].frames == frames
    assert Check.COVERED in watch.active


def test_checks_needing_a_baseline_wait_for_one() -> None:
    rng = np.random.default_rng(9)
    values = scores(measure(shot(BASE, rng)), None)
    assert set(values) == {Check.BLACK, Check.COVERED, Check.GLARE} and not failing(values)
    assert values[Check.COVERED] < RULES[Check.COVERED].threshold  # the share of flat tiles: sky, a plain wall
    assert failing({Check.BLACK: 3.0, Check.COVERED: 1.0, Check.BLURRED: 0.1}) == {Check.BLACK}


def test_a_lens_covered_from_the_start_is_seen_without_a_baseline() -> None:
    rng = np.random.default_rng(10)
    watch = Watch()
    for _ in range(RULES[Check.COVERED].debounce):
        verdict = watch.observe(covered(rng), "day")
    assert verdict.active == {Check.COVERED}


def test_twilight_teaches_nothing_and_judges_against_the_nearest_baseline() -> None:
    rng = np.random.default_rng(11)
    watch = learnt(rng)
    frames = watch.learners["day"].frames
    for _ in range(5):
        assert watch.observe(shot(BASE, rng, gain=0.95), "twilight").active == frozenset()
    assert watch.learners["day"].frames == frames and "twilight" not in watch.learners
    for _ in range(RULES[Check.COVERED].debounce):
        verdict = watch.observe(covered(rng), "twilight")
    assert verdict.active == {Check.COVERED}
