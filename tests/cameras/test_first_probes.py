"""A camera faulty within its first probes, before it has learnt any baseline: what the hub can know then is
named within its debounce, whether or not the technician said where the camera's on-screen clock is.

Before a baseline: black (dark and flat), covered (flat: a hand, a cloth), glare (a saturated picture) and
frozen (no change from one probe to the next) can be told from the frames alone; blurred, moved and noisy are
judged against the camera's own healthy picture, so they wait for one (docs/cameras.md, "First probes").
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from hub.cameras.checks import RULES, Check, Region
from hub.cameras.frames import decode
from hub.cameras.health import Status
from hub.cameras.watch import Watch
from simulators.camera_scene import CLOCK_REGION, Scene, encode
from tests.cameras.rig import rig
from tests.cameras.test_day import period

# fault -> (reason, its debounce)
KNOWABLE = {
    "covered": ("covered", RULES[Check.COVERED].debounce),
    "black": ("black", RULES[Check.BLACK].debounce),
    "glare": ("glare", RULES[Check.GLARE].debounce),
    "freeze": ("frozen", RULES[Check.FROZEN].debounce),
}


@pytest.mark.parametrize("named", [True, False], ids=["clock-named", "clock-not-named"])
@pytest.mark.parametrize("after", [0, 1, 2])
@pytest.mark.parametrize("fault", list(KNOWABLE))
def test_a_fault_in_the_first_probes_is_named_within_its_debounce(tmp_path: Path, fault: str, after: int,
                                                                  named: bool) -> None:
    reason, debounce = KNOWABLE[fault]
    # A freeze shows only between two frames: from the very first probe it is judged from the second on.
    allowed = debounce + (1 if fault == "freeze" and after == 0 else 0)
    with rig(tmp_path, clock_region=CLOCK_REGION if named else None) as r:
        for _ in range(after):
            r.round()
            assert r.service.now["cam-1"].status == Status.OK, r.reasons("cam-1")
        r.cameras["cam-1"].set_fault(fault)
        seen_at = None
        for probe in range(1, allowed + 1):
            r.round()
            if reason in r.reasons("cam-1") and seen_at is None:
                seen_at = probe
        assert seen_at is not None, f"{fault} after {after} probes: {r.reasons('cam-1')} after {allowed} more"
        assert r.service.health_now()["cam-1"] == Status.DEGRADED.value
        assert ("cam-1", reason) in r.service.store.open_faults()
        r.cameras["cam-1"].set_fault(None)
        for _ in range(debounce + 1):
            r.round()
        assert r.service.now["cam-1"].status == Status.OK, r.reasons("cam-1")


NIGHT, DAWN, NOON, DUSK = (int(datetime(2026, 11, 19, h, m, tzinfo=UTC).timestamp() * 1000)
                           for h, m in ((15, 0), (22, 45), (5, 0), (10, 45)))


@pytest.mark.parametrize("clock", [CLOCK_REGION, None], ids=["clock-named", "clock-not-named"])
@pytest.mark.parametrize("start", [NIGHT, DAWN, NOON, DUSK], ids=["night", "dawn", "noon", "dusk"])
def test_a_healthy_camera_raises_nothing_before_its_baseline(start: int, clock: Region | None) -> None:
    scene, rng = Scene(640, 360, seed=4), np.random.default_rng(4)
    watch = Watch(clock=clock)
    for probe in range(12):
        t = start + probe * 30_000
        verdict = watch.observe(decode(encode(scene.render(t, rng))).gray, period(t))
        assert verdict.active == frozenset(), (probe, verdict.scores)


def test_a_capped_lens_with_the_cameras_own_text_on_it_is_black() -> None:
    """A real camera burns its date and name into the picture even when the lens sees nothing."""
    rng = np.random.default_rng(5)
    watch = Watch()
    for _ in range(RULES[Check.BLACK].debounce):
        frame = np.clip(rng.normal(2, 1.5, (360, 640)), 0, 255).astype(np.uint8)
        cv2.putText(frame, "30/11/2026 00:41:07  CONG SAU", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 255, 2)
        verdict = watch.observe(frame, "night")
    assert verdict.active == {Check.BLACK}, verdict.scores


def test_a_probe_that_cannot_judge_neither_raises_nor_clears() -> None:
    """Lost sight of the camera for a probe (offline, corrupt): the next frame has none to compare with, so
    frozen is not judged then; its streak goes on rather than starting again."""
    frame = decode(encode(Scene(640, 360).render(NOON, np.random.default_rng(6)))).gray
    watch = Watch()
    watch.observe(frame, "day")
    watch.observe(frame.copy(), "day")
    watch.observe(frame.copy(), "day")  # two still probes
    watch.lost_sight()
    assert Check.FROZEN not in watch.observe(frame.copy(), "day").scores  # nothing to compare with
    assert watch.observe(frame.copy(), "day").active == {Check.FROZEN}  # the third still one


# fault -> reason: the picture checks once the baseline is learnt, the clock's place not named (its text is
# then part of the view: busy and changing whatever the lens sees).
LEARNT = {"covered": "covered", "black": "black", "blur": "blurred", "turned_away": "moved", "noisy": "noisy",
          "glare": "glare", "freeze": "frozen"}
WARM = 7  # the day baseline is learnt from the second probe on (5 frames), with a margin


@pytest.mark.parametrize("fault", list(LEARNT))
def test_with_a_baseline_and_the_clock_not_named_each_picture_fault_is_named(tmp_path: Path, fault: str) -> None:
    reason = LEARNT[fault]
    debounce = RULES[Check(reason)].debounce
    with rig(tmp_path, clock_region=None) as r:
        for _ in range(WARM):
            r.round()
        assert r.service.now["cam-1"].status == Status.OK, r.reasons("cam-1")
        r.cameras["cam-1"].set_fault(fault)
        for _ in range(debounce):
            r.round()
        assert reason in r.reasons("cam-1"), (fault, r.reasons("cam-1"))
        r.cameras["cam-1"].set_fault(None)
        for _ in range(debounce + 1):
            r.round()
        assert r.service.now["cam-1"].status == Status.OK, r.reasons("cam-1")
