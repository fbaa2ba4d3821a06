"""Uploaded audio: checked by decoding it (PyAV's own ffmpeg), never by its name or extension; measured;
loudness-normalised; encoded once to MP3 (what every speaker can play) and named by its sha256.

`prepare` is the whole check: a file it returns is fit to broadcast, anything else raises MediaError with
the HTTP status (413 too large, 422 not fit) and a reason naming the problem. Truncation is caught three
ways because ffmpeg forgives it quietly: its own warnings and errors while decoding (captured on this
thread), a decoded length shorter than the header declares, and an Ogg stream without its last page.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import av
import numpy as np
from av.audio.resampler import AudioResampler

from hub.broadcasts.errors import MediaError
from hub.broadcasts.loudness import Samples, normalise

__all__ = ["MediaError", "Prepared", "decode", "encode_mp3", "finish", "prepare"]

RATE: Final = 48_000
MAX_BYTES: Final = 20 * 1024 * 1024
MAX_SECONDS: Final = 15 * 60
MIN_SECONDS: Final = 1.0  # a loudness measurement needs 0.4 s; a bulletin shorter than a second is a slip
MP3_BITRATE: Final = 128_000
# container (ffmpeg's demuxer name) -> the codecs accepted in it: MP3, WAV, OGG (Vorbis/Opus), M4A (AAC),
# and WebM/Opus, which is what a phone browser's recorder produces.
ACCEPTED: Final[dict[str, frozenset[str]]] = {
    "mp3": frozenset({"mp3", "mp3float"}),
    "wav": frozenset({"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8", "pcm_alaw", "pcm_mulaw"}),
    "ogg": frozenset({"vorbis", "opus"}),
    "mov,mp4,m4a,3gp,3g2,mj2": frozenset({"aac"}),
    "matroska,webm": frozenset({"opus", "vorbis"}),
}
FORMAT_NAMES: Final = {"mp3": "MP3", "wav": "WAV", "ogg": "OGG", "mov,mp4,m4a,3gp,3g2,mj2": "M4A",
                       "matroska,webm": "WebM"}
# What ffmpeg says, at warning level, when it reaches the end of a file too soon.
TRUNCATION_HINTS: Final = ("filesize and duration do not match", "packet corrupt", "ended prematurely",
                           "truncat", "invalid pcm packet", "incomplete frame", "partial file",
                           "moov atom not found")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A medium fit to broadcast: the MP3 bytes speakers download and what was measured on the way."""

    data: bytes
    sha256: str
    duration_s: float
    source_format: str  # "MP3", "WAV", "OGG", "M4A", "WebM"
    source_codec: str
    source_lufs: float
    lufs: float


def prepare(data: bytes, *, max_bytes: int = MAX_BYTES, max_seconds: float = MAX_SECONDS) -> Prepared:
    """Check, measure, normalise and encode an upload; MediaError names what is wrong."""
    if len(data) > max_bytes:
        raise MediaError(413, "too_large", f"Tệp quá lớn ({_mb(len(data))}, tối đa {_mb(max_bytes)})",
                         f"file too large ({_mb(len(data))}, at most {_mb(max_bytes)})")
    if not data:
        raise MediaError(422, "empty", "Tệp rỗng", "the file is empty")
    samples, fmt, codec = decode(data, max_seconds)
    seconds = samples.size / RATE
    if seconds < MIN_SECONDS:
        raise MediaError(422, "too_short", f"Bản ghi quá ngắn ({seconds:.1f} giây)",
                         f"the recording is too short ({seconds:.1f} s, at least {MIN_SECONDS:.0f} s)")
    return finish(samples, fmt, codec)


def finish(samples: Samples, fmt: str, codec: str) -> Prepared:
    """Normalise and encode decoded mono samples at RATE (also the path of synthesised speech)."""
    try:
        loud = normalise(samples, RATE)
    except ValueError:
        raise MediaError(422, "silent", "Bản ghi không có tiếng (im lặng)",
                         "the recording is silent (no sound above -60 LUFS)") from None
    mp3 = encode_mp3(loud.samples)
    return Prepared(mp3, hashlib.sha256(mp3).hexdigest(), round(samples.size / RATE, 3), fmt, codec,
                    round(loud.source_lufs, 2), round(loud.lufs, 2))


def decode(data: bytes, max_seconds: float = MAX_SECONDS) -> tuple[Samples, str, str]:
    """(mono float samples at RATE, format, codec) of an accepted audio file, else MediaError."""
    av.logging.set_level(av.logging.WARNING)  # warnings are how ffmpeg reports a short file
    with av.logging.Capture(local=True) as logs:
        try:
            container = av.open(io.BytesIO(data), mode="r")
        except (av.FFmpegError, ValueError, OSError):
            # An M4A cut short loses its index (moov) at the end: ffmpeg says so before giving up.
            cut = any(hint in m.lower() for _, _, m in logs for hint in TRUNCATION_HINTS)
            raise (_truncated() if cut else _not_audio()) from None
        with container:
            fmt, codec, declared = _check_streams(container, max_seconds)
            try:
                chunks = list(_decode(container, max_seconds))
            except av.FFmpegError:
                raise _corrupt() from None
    samples: Samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    heard = [m.lower() for level, _, m in logs if level <= av.logging.WARNING]
    if any(level <= av.logging.ERROR for level, _, _ in logs) and not samples.size:
        raise _corrupt()
    if any(hint in m for m in heard for hint in TRUNCATION_HINTS) or _short_of(declared, samples.size / RATE):
        raise _truncated()
    if fmt == "ogg" and not _ogg_complete(data):
        raise _truncated()
    return samples, FORMAT_NAMES[fmt], codec


def encode_mp3(samples: Samples) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=RATE, layout="mono")
        stream.bit_rate = MP3_BITRATE
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate, frame.pts = RATE, 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def _check_streams(container: av.container.InputContainer, max_seconds: float) -> tuple[str, str, float | None]:
    fmt = container.format.name
    if container.streams.video and fmt != "mp3":  # an MP3's cover picture is a "video" stream
        raise MediaError(422, "video", "Tệp có hình ảnh (video); chỉ nhận tệp âm thanh",
                         "the file holds video; send audio only (MP3, WAV, OGG, M4A)")
    if not container.streams.audio:
        raise _not_audio()
    codec = container.streams.audio[0].codec_context.name
    if fmt not in ACCEPTED or codec not in ACCEPTED[fmt]:
        raise MediaError(422, "unsupported", f"Định dạng chưa hỗ trợ ({fmt}/{codec})",
                         f"unsupported format {fmt}/{codec}: use MP3, WAV, OGG/Opus or M4A/AAC")
    declared = container.duration / 1_000_000 if container.duration else None
    if declared is not None and declared > max_seconds + 1:
        raise _too_long(declared, max_seconds)
    return fmt, codec, declared


def _decode(container: av.container.InputContainer, max_seconds: float) -> Iterator[Samples]:
    resampler = AudioResampler(format="flt", layout="mono", rate=RATE)
    total = 0
    for frame in container.decode(container.streams.audio[0]):
        for out in resampler.resample(frame):
            chunk = out.to_ndarray().reshape(-1).astype(np.float32)
            total += chunk.size
            if total > (max_seconds + 1) * RATE:  # the header may not say: stop decoding, don't fill memory
                raise _too_long(total / RATE, max_seconds)
            yield chunk
    for out in resampler.resample(None):
        yield out.to_ndarray().reshape(-1).astype(np.float32)


def _short_of(declared: float | None, decoded: float) -> bool:
    return declared is not None and decoded < declared * 0.97 - 0.1


def _ogg_complete(data: bytes) -> bool:
    """The last Ogg page is whole and carries the end-of-stream flag (header type bit 0x04)."""
    at = data.rfind(b"OggS")
    if at < 0 or len(data) < at + 27:
        return False
    segments = data[at + 27: at + 27 + data[at + 26]]
    return bool(data[at + 5] & 0x04) and len(data) >= at + 27 + data[at + 26] + sum(segments)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _not_audio() -> MediaError:
    return MediaError(422, "not_audio", "Không phải tệp âm thanh", "not an audio file (could not decode it)")


def _corrupt() -> MediaError:
    return MediaError(422, "corrupt", "Tệp âm thanh bị hỏng", "the audio file is corrupt (decoding failed)")


def _truncated() -> MediaError:
    return MediaError(422, "truncated", "Tệp âm thanh bị cắt cụt (tải lên chưa hết?)",
                      "the audio file is truncated (incomplete upload?)")


def _too_long(seconds: float, limit: float) -> MediaError:
    return MediaError(422, "too_long", f"Bản ghi quá dài ({_minutes(seconds)}, tối đa {_minutes(limit)})",
                      f"too long ({_minutes(seconds)}, at most {_minutes(limit)})")


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{math.floor(seconds % 60):02d}"
