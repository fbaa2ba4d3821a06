"""EBU R128 loudness normalisation with a true-peak ceiling. Pure numpy on mono float samples.

Integrated loudness is measured with pyloudnorm (ITU-R BS.1770-4 gating). Reaching −16 LUFS with plain gain
would push speech peaks over full scale (speech's peak-to-loudness ratio is often 15–20 dB), so a look-ahead
limiter holds the true peak (4× oversampled, BS.1770 Annex 2) under the ceiling, and the gain is found
again after limiting: two or three rounds land within a few tenths of an LU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyloudnorm
from numpy.typing import NDArray
from scipy.ndimage import minimum_filter1d, uniform_filter1d  # type: ignore[import-untyped]
from scipy.signal import resample_poly  # type: ignore[import-untyped]

Samples = NDArray[np.float32]

TARGET_LUFS: Final = -16.0
# The MP3 encoder's filter adds a few tenths of a dB of overshoot: limit under the advertised ceiling.
CEILING_DBTP: Final = -1.0
LIMIT_MARGIN_DB: Final = 0.7
SILENT_LUFS: Final = -60.0  # quieter than this is no recording at all (a muted microphone, an empty file)
LOOKAHEAD_S: Final = 0.005
ROUNDS: Final = 4


@dataclass(frozen=True, slots=True)
class Loudness:
    integrated_lufs: float  # -inf when every block is under the absolute gate
    true_peak_dbtp: float


def measure(samples: Samples, rate: int) -> Loudness:
    """Integrated loudness and true peak of mono `samples` (at least 0.4 s: one gating block)."""
    meter = pyloudnorm.Meter(rate)
    lufs = float(meter.integrated_loudness(samples.astype(np.float64)))
    return Loudness(lufs, true_peak_db(samples))


def true_peak_db(samples: Samples) -> float:
    peak = float(np.max(np.abs(resample_poly(samples, 4, 1)))) if samples.size else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def limit(samples: Samples, rate: int, ceiling_db: float) -> Samples:
    """Gain under each true-peak overshoot, spread over the look-ahead so it never clicks. The minimum over
    twice the smoothing width guarantees the smoothed gain is still low enough at every peak."""
    ceiling = 10 ** (ceiling_db / 20)
    upsampled = np.abs(resample_poly(samples, 4, 1)).reshape(-1, 4).max(axis=1)[: samples.size]
    needed = np.minimum(1.0, ceiling / np.maximum(upsampled, 1e-9))
    width = max(1, int(rate * LOOKAHEAD_S))
    gain = uniform_filter1d(minimum_filter1d(needed, size=2 * width + 1), size=width)
    out: Samples = (samples * gain).astype(np.float32)
    return out


@dataclass(frozen=True, slots=True)
class Normalised:
    samples: Samples
    source_lufs: float
    lufs: float


def normalise(samples: Samples, rate: int, target: float = TARGET_LUFS, ceiling_db: float = CEILING_DBTP
              ) -> Normalised:
    """`samples` brought to `target` LUFS with true peaks under `ceiling_db`; ValueError if silent. Each
    measurement is the costly part (pyloudnorm's gating: ~10 ms per second of audio), so the source's is
    reused and a round is added only while the result is off by more than 0.2 LU."""
    source = level = measure(samples, rate).integrated_lufs
    if not math.isfinite(level) or level < SILENT_LUFS:
        raise ValueError("silent")
    gain_db = 0.0
    out = samples
    for _ in range(ROUNDS):
        gain_db += target - level
        out = limit((samples * 10 ** (gain_db / 20)).astype(np.float32), rate, ceiling_db - LIMIT_MARGIN_DB)
        level = measure(out, rate).integrated_lufs
        if abs(level - target) < 0.2:
            break
    return Normalised(out, source, level)
