"""A healthy camera over 24 simulated hours (midnight to midnight: dawn, noon, dusk, night; people and
vehicles passing) raises nothing; the picture checks see each probe's frame as the prober would."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from hub.cameras.checks import Region
from hub.cameras.frames import decode
from hub.cameras.watch import Period, Watch
from simulators.camera_scene import CLOCK_REGION, Scene, daylight, encode

MIDNIGHT = int(datetime(2026, 11, 19, 17, 0, tzinfo=UTC).timestamp() * 1000)  # 00:00 in Phú Thọ
PROBE_MS = 60_000


def period(t: int) -> Period:
    light = daylight(t)
    return "day" if light >= 0.95 else "night" if light <= 0.05 else "twilight"


# Named or not: a site may not say where the camera's own clock is, and then its text is part of the picture.
@pytest.mark.parametrize("clock", [CLOCK_REGION, None], ids=["clock-named", "clock-not-named"])
def test_a_healthy_camera_raises_nothing_in_a_day_with_dusk_and_dawn(clock: Region | None) -> None:
    scene, rng = Scene(480, 270, seed=21), np.random.default_rng(21)
    watch = Watch(clock=clock)
    odd = 0
    lights = set()
    for probe in range(24 * 3600 * 1000 // PROBE_MS):
        t = MIDNIGHT + probe * PROBE_MS
        lights.add(round(daylight(t), 1))
        verdict = watch.observe(decode(encode(scene.render(t, rng))).gray, period(t))
        assert verdict.active == frozenset(), (probe, verdict.scores)
        odd += bool(verdict.failing)
    assert {0.0, 0.5, 1.0} <= lights  # the day did pass through dusk and dawn
    assert odd < 40  # single odd frames (trucks) happen, and are absorbed by the debounce
    assert watch.learners["day"].frames > 100 and watch.learners["night"].frames > 100
