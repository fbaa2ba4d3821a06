"""One camera's picture over time: the baselines it has learnt (one for day, one for night) and each check's
debounce. Pure state, no I/O: the prober feeds it one frame per probe and reads which checks are raised.

A frame teaches the baseline only when it fails nothing and nothing is raised, so a covered lens never
becomes the camera's idea of normal; one odd frame (a truck filling the picture, a headlight) fails one probe
and is forgotten, since raising takes `debounce` failures in a row and clearing as many passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final, Literal

from hub.cameras.checks import RULES, Baseline, Check, Measures, Region, clock_tiles, failing, measure, scores

if TYPE_CHECKING:  # numpy's types only: the checks import numpy when a frame comes, not at start
    from hub.cameras.checks import Map
    from hub.cameras.frames import Gray

# Twilight (dawn, dusk) is neither: the light changes faster than a baseline can follow, so nothing is
# learnt then, and the checks compare with whichever baseline is nearer in brightness, leaving out the two
# (sharpness, noise) that change with the light itself.
Period = Literal["day", "night", "twilight"]
TWILIGHT_SKIPS: Final = (Check.BLURRED, Check.NOISY)
TWILIGHT_MATCH: Final = 0.12  # how near in mean brightness a baseline must be to judge a twilight frame
WARMUP: Final = 5  # healthy frames a period needs before the checks against its baseline start
ALPHA: Final = 0.08  # how fast a baseline follows slow change (leaves, the season); ~12 probes to move
MAPS: Final = ("sharpness", "texture", "structure")


@dataclass
class Learner:
    frames: int = 0
    mean: float = 0.0
    noise: float = 0.0
    saturated: float = 0.0
    grain: float = 0.0
    maps: dict[str, Map] = field(default_factory=dict)

    def learn(self, m: Measures) -> None:
        self.frames += 1
        a = 1.0 / self.frames if self.frames <= WARMUP else ALPHA  # a plain mean while warming up
        self.mean += a * (m.mean - self.mean)
        self.noise += a * (m.noise - self.noise)
        self.saturated += a * (m.saturated - self.saturated)
        self.grain += a * (m.grain - self.grain)
        for name in MAPS:
            now: Map = getattr(m, name)
            old = self.maps.get(name)
            self.maps[name] = now.copy() if old is None else old + a * (now - old)

    def baseline(self) -> Baseline | None:
        if self.frames < WARMUP:
            return None
        return Baseline(self.noise, self.saturated, self.grain, self.maps["sharpness"], self.maps["texture"],
                        self.maps["structure"])


@dataclass(frozen=True, slots=True)
class Verdict:
    active: frozenset[Check]  # raised after debounce, as of this probe
    failing: frozenset[Check]  # what this one frame fails (before debounce)
    scores: dict[Check, float]
    measures: Measures


@dataclass
class Watch:
    clock: Region | None = None  # the on-screen clock, when the site names where it is
    learners: dict[str, Learner] = field(default_factory=dict)
    active: set[Check] = field(default_factory=set)
    _fails: dict[Check, int] = field(default_factory=dict)
    _passes: dict[Check, int] = field(default_factory=dict)
    _previous: Gray | None = None

    def observe(self, gray: Gray, period: Period, *, same_bytes: bool = False) -> Verdict:
        """Judge one frame. `same_bytes`: the camera sent exactly the previous JPEG again (frozen for sure)."""
        m = measure(gray, self._previous, self.clock)
        if same_bytes:
            m = replace(m, motion=0.0, clock_motion=0.0 if self.clock else -1.0)
        learner = self._learner(period, m.mean)
        values = scores(m, learner.baseline() if learner else None, clock_tiles(self.clock))
        if period == "twilight":
            values = {c: v for c, v in values.items() if c not in TWILIGHT_SKIPS}
        bad = failing(values)
        for check in RULES:
            # A check with no score this probe was not judged (no baseline yet, no frame before this one,
            # twilight, too little detail): neither raised nor cleared. Counted as a pass, it would break a
            # fault's streak, or clear a fault nobody could see.
            if check in values:
                self._count(check, check in bad)
        # A frame teaches only with one before it: its grain (and so its sharpness) is known only then.
        if not bad and not self.active and learner is not None and period != "twilight" and m.motion >= 0:
            learner.learn(m)
        self._previous = gray
        return Verdict(frozenset(self.active), frozenset(bad), values, m)

    def _learner(self, period: Period, mean: float) -> Learner | None:
        if period != "twilight":
            return self.learners.setdefault(period, Learner())
        ready = [x for x in self.learners.values() if x.baseline() is not None]
        near = min(ready, key=lambda x: abs(x.mean - mean), default=None)
        # Only a baseline of about this brightness tells anything (the first dawn has no day one yet).
        return near if near is not None and abs(near.mean - mean) <= TWILIGHT_MATCH * max(near.mean, 1.0) else None

    def lost_sight(self) -> None:
        """No frame this probe (offline, corrupt): the next frame is not compared with a stale one."""
        self._previous = None

    def reset(self) -> None:
        """Forget everything learnt: after maintenance the camera may rightly look somewhere new."""
        self.learners.clear()
        self.active.clear()
        self._fails.clear()
        self._passes.clear()
        self._previous = None

    def _count(self, check: Check, failed: bool) -> None:
        debounce = RULES[check].debounce
        if failed:
            self._fails[check] = self._fails.get(check, 0) + 1
            self._passes[check] = 0
            if self._fails[check] >= debounce:
                self.active.add(check)
        else:
            self._passes[check] = self._passes.get(check, 0) + 1
            self._fails[check] = 0
            if self._passes[check] >= debounce:
                self.active.discard(check)
