"""Text bulletins spoken in Vietnamese: normalise (vinorm.py), speak with Debian's espeak-ng (voice `vi`),
then the same checks and loudness normalisation as an upload (media.finish), so a spoken bulletin is as
loud as a recorded one and is stored and verified the same way.

When speech is unavailable (espeak-ng missing, failing or too slow) `speak` still returns: no medium, the
normalised text, and a note saying why, so the bulletin goes out as text and nobody is left guessing.
espeak-ng is a blocking subprocess: callers run `speak` off the event loop (FastAPI's threadpool).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from hub.broadcasts.errors import MediaError
from hub.broadcasts.vinorm import normalise

if TYPE_CHECKING:
    from hub.broadcasts.media import Prepared

MAX_CHARS: Final = 5_000  # ~10 minutes of speech at a public-address pace
WORDS_PER_MINUTE: Final = 145  # slower than espeak's 175: loudspeakers echo between houses
TIMEOUT_S: Final = 120.0


@dataclass(frozen=True, slots=True)
class Speech:
    text: str  # what was spoken (normalised)
    prepared: Prepared | None  # None: speech unavailable, see the note
    note_vi: str | None = None
    note_en: str | None = None
    synth_s: float = 0.0  # wall time of espeak-ng alone (the real-time factor is synth_s / duration)


@dataclass(frozen=True, slots=True)
class Voice:
    binary: str = "espeak-ng"
    voice: str = "vi"
    words_per_minute: int = WORDS_PER_MINUTE
    timeout_s: float = TIMEOUT_S


def speakable(text: str) -> str:
    """Normalised text with loanword hyphens as spaces ("ki-lô-mét"): espeak-ng pauses on a hyphen."""
    return re.sub(r"(?<=\w)-(?=\w)", " ", normalise(text))


def speak(text: str, voice: Voice = Voice()) -> Speech:
    if not text.strip():
        raise ValueError("text: nothing to say")
    if len(text) > MAX_CHARS:
        raise ValueError(f"text: at most {MAX_CHARS} characters ({len(text)} given)")
    said = normalise(text)
    with tempfile.TemporaryDirectory(prefix="hamlet-tts-") as tmp:
        out = Path(tmp) / "speech.wav"
        command = [voice.binary, "-v", voice.voice, "-s", str(voice.words_per_minute), "-b", "1", "-w", str(out)]
        try:
            if not _has_voice(voice.binary, voice.voice):  # espeak-ng falls back to English without a word
                return _unavailable(said, f"thiếu giọng đọc {voice.voice!r}", f"voice {voice.voice!r} is not installed")
        except FileNotFoundError:
            return _unavailable(said, f"không tìm thấy {voice.binary}", f"{voice.binary} is not installed")
        began = time.perf_counter()
        try:
            done = subprocess.run(command, input=speakable(text).encode(), capture_output=True,
                                  timeout=voice.timeout_s, check=False)
        except FileNotFoundError:
            return _unavailable(said, f"không tìm thấy {voice.binary}", f"{voice.binary} is not installed")
        except subprocess.TimeoutExpired:
            return _unavailable(said, f"{voice.binary} quá thời gian", f"{voice.binary} timed out")
        synth_s = time.perf_counter() - began
        if done.returncode != 0 or not out.exists():
            why = done.stderr.decode(errors="replace").strip()[:200] or f"exit status {done.returncode}"
            return _unavailable(said, f"{voice.binary} lỗi: {why}", f"{voice.binary} failed: {why}")
        from hub.broadcasts.media import decode, finish  # PyAV, numpy, scipy: only when speaking

        try:
            samples, _, _ = decode(out.read_bytes())
            prepared = finish(samples, "TTS", f"{voice.binary}/{voice.voice}")
        except MediaError as exc:
            return _unavailable(said, exc.vi, exc.en)
    return Speech(said, prepared, synth_s=synth_s)


@lru_cache(maxsize=8)
def _has_voice(binary: str, name: str) -> bool:
    listed = subprocess.run([binary, f"--voices={name}"], capture_output=True, timeout=30, check=False)
    rows = listed.stdout.decode(errors="replace").splitlines()[1:]
    return any(row.split()[1:2] == [name] for row in rows if row.strip())


def _unavailable(said: str, why_vi: str, why_en: str) -> Speech:
    return Speech(
        said, None,
        f"Không đọc được thành giọng nói ({why_vi}): bản tin chỉ gửi dạng văn bản, loa sẽ không phát.",
        f"Speech unavailable ({why_en}): the bulletin goes out as text only; the loudspeakers will not play it.",
    )
