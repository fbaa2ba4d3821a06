"""Real audio files made in the test with PyAV: a speech-like signal (a voiced tone with syllable-rate
swells and pauses) in each accepted format, and the broken files an upload must refuse."""

from __future__ import annotations

import io
import struct

import av
import numpy as np
from av.audio.stream import AudioStream

from hub.broadcasts.loudness import Samples

# (container, encoder, sample rate)
FORMATS = {
    "mp3": ("mp3", "libmp3lame", 44_100),
    "wav": ("wav", "pcm_s16le", 44_100),
    "ogg": ("ogg", "libopus", 48_000),
    "m4a": ("ipod", "aac", 44_100),
    "webm": ("webm", "libopus", 48_000),
}


def speechlike(seconds: float, rate: int, level: float = 0.1, seed: int = 1) -> Samples:
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(seed)
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 1100, 2400), start=1))
    syllables = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * (np.sin(2 * np.pi * 0.3 * t) > -0.6)
    noise = rng.normal(0, 0.05, t.size)
    x: Samples = (level * (voiced * syllables + noise * syllables)).astype(np.float32)
    return x


def encode(kind: str, samples: Samples | None = None, seconds: float = 3.0, level: float = 0.1) -> bytes:
    fmt, codec, rate = FORMATS[kind]
    x = speechlike(seconds, rate, level) if samples is None else samples
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, AudioStream)
        if x.size:
            frame = av.AudioFrame.from_ndarray(x.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate, frame.pts = rate, 0
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def wav_header_only(seconds: float, rate: int = 8000) -> bytes:
    """A WAV whose header declares `seconds` of 8-bit audio and holds all of it (zeros are cheap)."""
    n = int(seconds * rate)
    header = b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
    return header + b"data" + struct.pack("<I", n) + b"\x80" * n
