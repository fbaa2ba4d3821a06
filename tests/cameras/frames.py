"""Synthetic grayscale frames for the pure checks: a textured view, its faults, with fresh sensor grain."""

from __future__ import annotations

import cv2
import numpy as np

from hub.cameras.frames import Gray

H, W = 180, 320


def view(seed: int = 0) -> Gray:
    """A view with structure everywhere: blocks, lines and a horizon, like a street with houses."""
    rng = np.random.default_rng(seed)
    img = np.full((H, W), 90, np.uint8)
    img[: H // 3] = 160
    for _ in range(40):
        x, y = int(rng.integers(0, W - 30)), int(rng.integers(0, H - 30))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(8, 40)), y + int(rng.integers(8, 40))),
                      int(rng.integers(20, 235)), -1)
    for x in range(0, W, 24):
        cv2.line(img, (x, H // 3), (W // 2, H), 200, 1)
    return img


def shot(base: Gray, rng: np.random.Generator, gain: float = 1.0, sigma: float = 2.0) -> Gray:
    """One exposure of `base`: the light's gain and fresh sensor noise."""
    noise = rng.normal(0, sigma, base.shape)
    return np.clip(base.astype(np.float64) * gain + noise, 0, 255).astype(np.uint8)


def covered(rng: np.random.Generator) -> Gray:
    img = np.full((H, W), 60, np.uint8)
    cv2.circle(img, (W // 3, H // 2), H // 2, 75, -1)
    return shot(np.asarray(cv2.GaussianBlur(img, (0, 0), 25), np.uint8), rng, sigma=1.5)


def blurred(base: Gray, rng: np.random.Generator) -> Gray:
    return shot(np.asarray(cv2.GaussianBlur(base, (0, 0), 4), np.uint8), rng)


def glare(base: Gray, rng: np.random.Generator) -> Gray:
    img = base.copy()
    cv2.circle(img, (W // 2, H // 2), int(H * 0.6), 255, -1)
    return shot(img, rng, sigma=0.5)
