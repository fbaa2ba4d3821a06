"""Picture checks as pure functions on numpy frames: what a frame measures, and what each check scores
against the camera's learnt baseline. No I/O, no state: `hub/cameras/watch.py` keeps the baselines and the
debounce.

Every measure that compares with a baseline is divided by the frame's own contrast first, so dusk (the whole
picture growing darker) moves neither sharpness nor structure; what changes at night (sensor noise, the
street lamps' pattern) is learnt separately in the night baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Final

# cv2 and numpy are imported inside the functions that measure a frame, not here: an idle hub (or one with
# no camera probe due) would otherwise carry them, tens of MB of memory and ~200 ms of start-up, for nothing.
if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from hub.cameras.frames import Gray

    Map = NDArray[np.float32]
SMALL: Final = (64, 36)  # structure map size: a passing shadow or sensor grain averages away at this scale
TILES: Final = (8, 6)  # covered: how much of the picture lost its structure, tile by tile
_NOISE_KERNEL: Final = ((1, -2, 1), (-2, 4, -2), (1, -2, 1))  # Immerkær's, as float32 where it is used
Region = tuple[float, float, float, float]  # x, y, w, h as fractions of the picture


class Check(StrEnum):
    BLACK = "black"
    COVERED = "covered"
    FROZEN = "frozen"
    BLURRED = "blurred"
    MOVED = "moved"
    GLARE = "glare"
    NOISY = "noisy"


@dataclass(frozen=True, slots=True)
class Measures:
    mean: float  # brightness, 0-255
    std: float  # contrast
    flat: float  # share of tiles (the clock's left out) with next to no contrast of their own
    level: float  # median tile brightness (the clock's tiles left out): what most of the picture shows
    saturated: float  # share of pixels at 250 or more
    noise: float  # Immerkær's sensor-noise sigma estimate
    grain: float  # sensor noise at the sharpness scale, over contrast (0 without a previous frame)
    sharpness: Map  # per tile: RMS Laplacian less the grain's, over contrast, on an eighth-size picture
    texture: Map  # per tile: mean gradient, not normalised (a hand over the lens takes it away)
    structure: Map  # gradient magnitude over contrast, SMALL: the shape of the view
    motion: float  # mean absolute change since the previous probe; -1 without one
    clock_motion: float  # the same inside the on-screen clock; -1 without a clock region or a previous frame


@dataclass(frozen=True, slots=True)
class Baseline:
    """What this camera's healthy picture measures in one light period (day or night)."""

    noise: float
    saturated: float
    grain: float
    sharpness: Map
    texture: Map
    structure: Map


@dataclass(frozen=True, slots=True)
class Rule:
    threshold: float
    debounce: int  # probes in a row before the check raises (and before it clears)
    above: bool  # True: the fault is a score above the threshold
    needs_baseline: bool


# One row per check. Thresholds were set on the simulated gate scene over day, dusk and night (see
# tests/cameras and bench/cameras.py): healthy frames stay clear of them by a wide margin.
RULES: Final[dict[Check, Rule]] = {
    Check.BLACK: Rule(12.0, 2, above=False, needs_baseline=False),  # brightness
    Check.COVERED: Rule(0.8, 3, above=True, needs_baseline=True),  # share of tiles lost
    Check.FROZEN: Rule(0.1, 3, above=False, needs_baseline=False),  # mean change (grey levels)
    Check.BLURRED: Rule(0.5, 3, above=False, needs_baseline=True),  # sharpness / baseline
    Check.MOVED: Rule(0.45, 3, above=False, needs_baseline=True),  # structure correlation
    Check.GLARE: Rule(0.25, 3, above=True, needs_baseline=True),  # saturated share over baseline
    Check.NOISY: Rule(2.5, 3, above=True, needs_baseline=True),  # noise / baseline
}
# A covered or black lens also looks blurred, moved and frozen: name the cause, not its symptoms.
MASKS: Final[dict[Check, tuple[Check, ...]]] = {
    Check.BLACK: (Check.COVERED, Check.BLURRED, Check.MOVED, Check.FROZEN, Check.NOISY),
    Check.COVERED: (Check.BLURRED, Check.MOVED, Check.FROZEN),
    Check.GLARE: (Check.BLURRED, Check.MOVED, Check.COVERED),
    Check.MOVED: (Check.BLURRED, Check.COVERED),  # another view has other sharp places
}
BLUR_SIGNAL: Final = 1.5  # detail must stand this far above the grain's own Laplacian to be judged
BLUR_MIN_TILES: Final = 8  # a median over fewer tiles swings with one passer-by
LAPLACIAN_NOISE_GAIN: Final = 20.0  # variance of the 4-neighbour Laplacian of unit white noise
# Flat is judged tile by tile, not on the whole picture: a camera burns its own text (date, time, name) into
# every frame, and when the site has not named where, that text alone gives a covered or capped lens more
# contrast than a whole dark street. A hand with the clock over it is still flat in all the other tiles.
FLAT_STD: Final = 10.0  # a tile with less contrast than this (grey levels) shows nothing
FLAT_SHARE: Final = 0.8  # flat in this share of its tiles, a picture shows nothing (overlay text fits the rest)
NOISE_FLOOR: Final = 1.5  # never call noise "too much" below this sigma, however clean the baseline is


def _small(gray: Gray, size: tuple[int, int]) -> Map:
    import cv2
    return _f32(cv2.resize(gray, size, interpolation=cv2.INTER_AREA))


def _f32(values: object) -> Map:
    """OpenCV's stubs type every result as a generic array; say what it is (a no-op for float32 input)."""
    import numpy as np
    return np.asarray(values, np.float32)


def _gradient(small: Map) -> Map:
    import cv2
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    return _f32(cv2.magnitude(gx, gy))


def _crop(gray: Gray, region: Region) -> Gray:
    h, w = gray.shape
    x, y, rw, rh = region
    return gray[int(y * h):int((y + rh) * h), int(x * w):int((x + rw) * w)]


def measure(gray: Gray, previous: Gray | None = None, clock: Region | None = None) -> Measures:
    """Everything the checks need from one half-size grayscale frame (and the one before it)."""
    import cv2
    import numpy as np
    # The on-screen clock's black box and white digits are no part of the view: a covered lens with a
    # clock on it is still a flat picture.
    mean_a, std_a = cv2.meanStdDev(gray, mask=_outside(gray.shape[0], gray.shape[1], clock))
    mean, std = float(mean_a[0, 0]), float(std_a[0, 0])
    _, bright = cv2.threshold(gray, 249, 1, cv2.THRESH_BINARY)
    saturated = cv2.countNonZero(bright) / gray.size
    residual = _f32(cv2.filter2D(gray, cv2.CV_32F, np.array(_NOISE_KERNEL, np.float32)))
    noise = float(cv2.mean(np.abs(residual))[0]) * math.sqrt(math.pi / 2) / 6
    size = (max(gray.shape[1] // 4, TILES[0]), max(gray.shape[0] // 4, TILES[1]))
    eighth = _small(gray, size)
    lap = _f32(cv2.Laplacian(eighth, cv2.CV_32F))
    grain = _grain(eighth, _small(previous, size)) if previous is not None and previous.shape == gray.shape else 0.0
    # Sensor grain adds its own Laplacian energy (20 sigma^2 for white noise): take it out, or at night the
    # noise alone would look as sharp as a focused lens and a blurred one would pass.
    detail = np.maximum(_tiles(lap * lap) - LAPLACIAN_NOISE_GAIN * grain * grain, 0.0)
    sharpness = _f32(np.sqrt(detail)) / (std + 1.0)
    flat, level = _flatness(eighth, clock)
    gradient = _gradient(_small(gray, SMALL))
    motion = clock_motion = -1.0
    if previous is not None and previous.shape == gray.shape:
        motion = float(cv2.mean(cv2.absdiff(gray, previous))[0])
        if clock is not None:
            clock_motion = float(cv2.mean(cv2.absdiff(_crop(gray, clock), _crop(previous, clock)))[0])
    return Measures(mean, std, flat, level, saturated, noise, grain / (std + 1.0), sharpness, _tiles(gradient),
                    gradient / (std + 1.0), motion, clock_motion)


@lru_cache(maxsize=16)
def _outside(height: int, width: int, clock: Region | None) -> NDArray[np.uint8] | None:
    import numpy as np
    if clock is None:
        return None
    mask = np.full((height, width), 255, np.uint8)
    x, y, w, h = clock
    mask[int(y * height):math.ceil((y + h) * height), int(x * width):math.ceil((x + w) * width)] = 0
    return mask


def _flatness(small: Map, clock: Region | None) -> tuple[float, float]:
    """(share of flat tiles, median tile brightness), over the tiles the on-screen clock leaves alone."""
    import numpy as np
    mean = _tiles(small)
    spread = np.sqrt(np.maximum(_tiles(small * small) - mean * mean, 0.0))
    seen = ~clock_tiles(clock)
    return float((spread[seen] < FLAT_STD).mean()), float(np.median(mean[seen]))


def _grain(now: Map, before: Map) -> float:
    """Sensor noise sigma from two frames: half the spread of their difference, by the median so moving
    things (a person, a truck) do not count."""
    import numpy as np
    diff = now - before
    return float(np.median(np.abs(diff - float(np.median(diff))))) * 1.4826 / math.sqrt(2)


def _tiles(values: Map) -> Map:
    import cv2
    return _f32(cv2.resize(values, TILES, interpolation=cv2.INTER_AREA))


def clock_tiles(clock: Region | None) -> NDArray[np.bool_]:
    """Tiles the on-screen clock overlaps: its text is sharp and busy whatever the lens sees."""
    import numpy as np
    cols, rows = TILES
    mask = np.zeros((rows, cols), np.bool_)
    if clock is not None:
        x, y, w, h = clock
        mask[int(y * rows):math.ceil((y + h) * rows), int(x * cols):math.ceil((x + w) * cols)] = True
    return mask


def _correlation(a: Map, b: Map) -> float:
    """Zero-mean normalised cross-correlation: 1 same structure, ~0 unrelated (gain and offset cancel)."""
    a0, b0 = a - float(a.mean()), b - float(b.mean())
    denom = math.sqrt(float((a0 * a0).sum()) * float((b0 * b0).sum()))
    return float((a0 * b0).sum()) / denom if denom > 1e-9 else 0.0


def _usable(base: Baseline, clock: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Tiles worth judging: ones with texture in the healthy picture (not plain sky), clock left out."""
    return (base.texture > 0.25 * float(base.texture.mean())) & ~clock


def scores(m: Measures, base: Baseline | None, clock: NDArray[np.bool_] | None = None) -> dict[Check, float]:
    """Each check's score for this frame; checks that need a baseline are left out until it is learnt.

    Tile scores take the median or a share over tiles, so a truck across a third of the picture or the
    camera's own on-screen text moves them little."""
    import numpy as np
    # The on-screen clock, when the site names it, is the sure sign: a live camera's clock moves between
    # probes whatever the light. Without it, only the sensor's grain tells a still street from a frozen one.
    frozen = m.motion if m.clock_motion < 0 else m.clock_motion
    out: dict[Check, float] = {Check.BLACK: m.level if m.flat >= FLAT_SHARE else 255.0}
    if frozen >= 0:
        out[Check.FROZEN] = frozen
    if base is None:  # nothing learnt yet (a camera covered since it was installed): only a flat picture tells,
        # scored as the share of flat tiles, so as the learnt check's share of tiles lost (a black one is black)
        out[Check.COVERED] = m.flat if m.level >= RULES[Check.BLACK].threshold else 0.0
        out[Check.GLARE] = m.saturated
    else:
        usable = _usable(base, clock if clock is not None else clock_tiles(None))
        # Covered: the textured tiles that lost their texture, or a flat picture as before a baseline (the
        # camera's own text, where the site has not named it, keeps a few tiles busy under a hand).
        lost = float((m.texture[usable] < 0.2 * base.texture[usable]).mean()) if usable.any() else 0.0
        out[Check.COVERED] = max(lost, m.flat)
        # Sharpness is judged only where the healthy picture has detail well above its grain: on a dark
        # street at night that is the lamp-lit part; with too few such tiles, blur is not judged at all.
        sharp = usable & (base.sharpness > BLUR_SIGNAL * math.sqrt(LAPLACIAN_NOISE_GAIN) * base.grain)
        if int(sharp.sum()) >= BLUR_MIN_TILES:
            ratio = m.sharpness[sharp] / np.maximum(base.sharpness[sharp], 1e-6)
            out[Check.BLURRED] = float(np.median(ratio))
        out[Check.MOVED] = _correlation(m.structure, base.structure)
        out[Check.GLARE] = m.saturated - base.saturated
        out[Check.NOISY] = m.noise / max(base.noise, NOISE_FLOOR)
    return out


def failing(values: dict[Check, float]) -> set[Check]:
    """The checks this one frame fails, with symptoms of a stronger cause masked out."""
    bad = {c for c, v in values.items() if (v > RULES[c].threshold if RULES[c].above else v < RULES[c].threshold)}
    for cause, symptoms in MASKS.items():
        if cause in bad:
            bad.difference_update(symptoms)
    return bad


def __getattr__(name: str) -> object:
    """`Map` for callers that import it at run time (numpy is loaded then, not when the module is)."""
    if name == "Map":
        import numpy as np
        from numpy.typing import NDArray

        return NDArray[np.float32]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
