"""A gate camera's picture, rendered: the street in front of the gate, a person walking, vehicles passing, an
on-screen clock, day, dusk and night light with sensor noise, and the picture faults a real camera suffers.

Pure apart from the random generator it is given: `render(t_ms, ...)` returns a BGR frame for the camera's
own clock, so a test (or the HTTP camera) can replay a whole simulated day in seconds.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

Frame = NDArray[np.uint8]
TZ_OFFSET: Final = timedelta(hours=7)  # the camera's clock shows local time (Asia/Ho_Chi_Minh)
SUNRISE_H, SUNSET_H, TWILIGHT_H = 5.75, 17.75, 0.6  # dawn and dusk each take about 35 minutes
CLOCK_REGION: Final = (0.0, 0.0, 0.42, 0.09)  # x, y, w, h as fractions: where the clock is drawn
VEHICLE_EVERY_S: Final = 97  # a vehicle passes now and then, crossing the picture in about 6 s
NOISE_MARGIN: Final = 64
PICTURE_FAULTS: Final = ("freeze", "black", "covered", "blur", "turned_away", "noisy", "glare")


def _u8(values: object) -> Frame:
    """OpenCV's stubs type every result as a generic array; say what it is (a no-op for uint8 input)."""
    return np.asarray(values, np.uint8)


def daylight(t_ms: int) -> float:
    """0 at night, 1 in full day, a smooth ramp through dawn and dusk (local time)."""
    hour = ((datetime.fromtimestamp(t_ms / 1000, UTC) + TZ_OFFSET).hour
            + ((t_ms / 1000) % 3600) / 3600)
    dawn = (hour - (SUNRISE_H - TWILIGHT_H / 2)) / TWILIGHT_H
    dusk = ((SUNSET_H + TWILIGHT_H / 2) - hour) / TWILIGHT_H
    return float(np.clip(min(dawn, dusk), 0.0, 1.0))


def _background(width: int, height: int, seed: int) -> tuple[Frame, Frame]:
    """The static street (day albedo) and where the street lamps light it at night."""
    rng = random.Random(seed)
    img = np.zeros((height, width, 3), np.uint8)
    horizon = int(height * 0.42)
    for y in range(horizon):  # sky gradient
        img[y, :] = (200 - y * 60 // horizon, 170 - y * 30 // horizon, 120)
    img[horizon:, :] = (70, 95, 80)  # verges
    road = np.array([[width * 0.38, horizon], [width * 0.62, horizon], [width * 0.95, height], [width * 0.05, height]],
                    np.int32)
    cv2.fillPoly(img, [road], (90, 90, 95))
    for i in range(6):  # houses either side, each camera a little different
        x = int(width * (0.02 + 0.16 * i) + rng.randint(-20, 20))
        w, h = int(width * 0.12), int(height * (0.16 + 0.1 * rng.random()))
        if 0.3 * width < x < 0.6 * width:
            continue
        cv2.rectangle(img, (x, horizon - h), (x + w, horizon + 10), (150 + rng.randint(0, 60), 170, 190), -1)
        cv2.rectangle(img, (x + w // 4, horizon - h // 2), (x + w // 2, horizon), (60, 70, 90), -1)
        cv2.line(img, (x - 10, horizon - h), (x + w // 2, horizon - h - 40), (40, 60, 140), 6)
        cv2.line(img, (x + w // 2, horizon - h - 40), (x + w + 10, horizon - h), (40, 60, 140), 6)
    for x in (int(width * 0.3), int(width * 0.7)):  # the gate posts and their banner
        cv2.rectangle(img, (x - 14, int(height * 0.18)), (x + 14, int(height * 0.8)), (180, 180, 185), -1)
    banner = (int(width * 0.3), int(height * 0.18)), (int(width * 0.7), int(height * 0.25))
    cv2.rectangle(img, *banner, (40, 40, 170), -1)
    for i in range(9):  # road markings
        y = horizon + int((height - horizon) * i / 9)
        cv2.line(img, (width // 2, y), (width // 2, y + 12), (220, 220, 220), 3)
    lamps = np.zeros((height, width), np.float32)
    for x in (int(width * 0.15), int(width * 0.85), int(width * 0.5)):
        cv2.circle(lamps, (x, int(height * 0.7)), int(height * 0.28), 1.0, -1)
    glow = np.asarray(cv2.GaussianBlur(lamps, (0, 0), height * 0.08), np.float32)
    return img, np.clip(glow * 255, 0, 255).astype(np.uint8)


class Scene:
    """One camera's view. Rendering costs a few milliseconds at 1280x720 (the backdrop is drawn once)."""

    def __init__(self, width: int = 1280, height: int = 720, seed: int = 0) -> None:
        self.width, self.height, self.seed = width, height, seed
        self._day, self._lamps = _background(width, height, seed)
        self._away, _ = _background(width, height, seed + 7919)
        # turned away: the camera now looks up at a tree and the sky, nothing of the gate in view
        self._away[:] = cv2.resize(self._away[: height // 3, : width // 3], (width, height))
        field = np.random.default_rng(seed).standard_normal((height + NOISE_MARGIN, width + NOISE_MARGIN))
        self._grain = field.astype(np.float32)
        self._lamps_away = np.ascontiguousarray(self._lamps[::-1, ::-1])  # looking elsewhere: lit elsewhere
        # drawn small and scaled up: a blur of this size would cost a tenth of a second per frame
        small = np.full((height // 16, width // 16, 3), (40, 52, 70), np.uint8)
        cv2.circle(small, (width // 48, height // 32), height // 32, (52, 64, 84), -1)
        self._cover = _u8(cv2.resize(cv2.GaussianBlur(small, (0, 0), 3), (width, height)))
        glare = np.zeros((height // 8, width // 8), np.float32)
        cv2.circle(glare, (width // 16, height // 16), int(height * 0.7 / 8), 1.0, -1)
        spot = np.asarray(cv2.resize(cv2.GaussianBlur(glare, (0, 0), height * 0.01), (width, height)), np.float32)
        self._glare = _u8(cv2.merge([(spot * 400).clip(0, 255).astype(np.uint8)] * 3))

    def render(self, t_ms: int, rng: np.random.Generator, fault: str | None = None) -> Frame:
        light = daylight(t_ms)
        base = self._away if fault == "turned_away" else self._day
        gain = 0.18 + 0.82 * light
        img = _u8(cv2.convertScaleAbs(base, alpha=gain))
        if light < 0.9:  # street lamps (and the camera's IR) light the street at night
            lamps = self._lamps if fault != "turned_away" else self._lamps_away
            glow = cv2.merge([lamps] * 3)
            img = _u8(cv2.addWeighted(img, 1.0, glow, 0.55 * (1 - light), 0))
        self._movers(img, t_ms, light)
        if fault == "covered":  # a hand or a cloth: close, dark, soft, almost uniform
            img = self._cover.copy()
        elif fault == "black":
            img[:] = 0
        elif fault == "blur":
            img = _u8(cv2.GaussianBlur(img, (0, 0), 7))
        elif fault == "glare":  # the sun or a headlight straight into the lens
            img = _u8(cv2.add(img, self._glare))
        sigma = 2.0 + 5.0 * (1 - light) + (26.0 if fault == "noisy" else 0.0)
        img = self._noisy(img, sigma, rng)
        if fault != "black":
            self._clock(img, t_ms)
        return img

    def _noisy(self, img: Frame, sigma: float, rng: np.random.Generator) -> Frame:
        # A window at a random offset into one pre-drawn noise field: fresh grain in every frame (so two
        # frames never match, as with a real sensor) for the cost of a slice instead of a million draws.
        dy, dx = int(rng.integers(0, NOISE_MARGIN)), int(rng.integers(0, NOISE_MARGIN))
        grain = self._grain[dy:dy + self.height, dx:dx + self.width]
        luma = cv2.merge([grain] * 3)
        return cv2.scaleAdd(luma, sigma, img.astype(np.float32)).clip(0, 255).astype(np.uint8)

    def _movers(self, img: Frame, t_ms: int, light: float) -> None:
        s = t_ms / 1000
        h, w = self.height, self.width
        shade = int(40 + 140 * light)
        # a person strolling across the gate and back
        px = int(w * (0.35 + 0.3 * (0.5 + 0.5 * math.sin(s / 23 + self.seed))))
        cv2.ellipse(img, (px, int(h * 0.66)), (14, 40), 0, 0, 360, (shade // 2, shade // 2, shade), -1)
        phase = (s + self.seed * 13) % VEHICLE_EVERY_S
        if phase < 6:  # a motorbike or a truck crosses, headlights on after dark
            vx = int(-0.3 * w + (phase / 6) * 1.6 * w)
            size = 0.22 if int(s // VEHICLE_EVERY_S) % 3 == 0 else 0.08  # every third one is a truck
            vw, vh = int(w * size * 1.6), int(h * size * 1.4)
            y = int(h * 0.88) - vh
            cv2.rectangle(img, (vx, y), (vx + vw, y + vh), (shade // 3, shade // 2, shade), -1)
            if light < 0.5:
                cv2.circle(img, (vx + vw, y + vh // 2), max(8, vh // 5), (255, 255, 255), -1)

    def _clock(self, img: Frame, t_ms: int) -> None:
        local = datetime.fromtimestamp(t_ms / 1000, UTC) + TZ_OFFSET
        text = local.strftime("%d/%m/%Y %H:%M:%S")
        scale = self.height / 720 * 1.1
        x0, y0, cw, ch = (int(f * d) for f, d in zip(CLOCK_REGION, (self.width, self.height) * 2, strict=True))
        cv2.rectangle(img, (x0, y0), (x0 + cw, y0 + ch), (0, 0, 0), -1)
        cv2.putText(img, text, (x0 + 10, y0 + int(ch * 0.72)), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2,
                    cv2.LINE_AA)


def encode(img: Frame, quality: int = 80) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buf)
