"""Text bulletins through the real espeak-ng, and the text-only path when it is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub.broadcasts.loudness import TARGET_LUFS, measure
from hub.broadcasts.media import RATE, decode
from hub.broadcasts.speech import MAX_CHARS, Voice, speak, speakable

BULLETIN = "Thông báo: 17:30 ngày 2/9/2025, họp thôn tại nhà văn hoá. Mỗi hộ đóng 50.000đ."


def test_espeak_is_installed() -> None:
    # The project's set-up installs it; a missing voice must fail here, not quietly skip the test below.
    assert shutil.which("espeak-ng") is not None


def test_text_is_spoken_normalised_and_as_loud_as_an_upload() -> None:
    speech = speak(BULLETIN)
    assert speech.prepared is not None, speech.note_en
    assert speech.note_vi is None
    assert "mười bảy giờ ba mươi phút ngày hai tháng chín" in speech.text
    assert "năm mươi nghìn đồng" in speech.text
    assert speech.prepared.duration_s > 3
    samples, fmt, _ = decode(speech.prepared.data)
    assert fmt == "MP3"
    assert abs(measure(samples, RATE).integrated_lufs - TARGET_LUFS) <= 1.0
    assert speech.prepared.source_format == "TTS"


def test_the_same_text_gives_the_same_medium() -> None:
    first, second = speak("Kính mời bà con dự họp."), speak("Kính mời bà con dự họp.")
    assert first.prepared is not None and second.prepared is not None
    assert first.prepared.sha256 == second.prepared.sha256


def test_missing_espeak_sends_text_with_a_note() -> None:
    speech = speak(BULLETIN, Voice(binary="/nonexistent/espeak-ng"))
    assert speech.prepared is None
    assert speech.text.startswith("Thông báo: mười bảy giờ")
    assert speech.note_vi is not None and "dạng văn bản" in speech.note_vi
    assert speech.note_en is not None and "not installed" in speech.note_en


def test_a_missing_voice_is_not_replaced_by_english() -> None:
    # espeak-ng itself would speak with its default English voice and exit 0.
    speech = speak("Xin chào", Voice(voice="no-such-voice"))
    assert speech.prepared is None
    assert speech.note_en is not None and "voice 'no-such-voice' is not installed" in speech.note_en


def test_a_failing_espeak_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "espeak-ng"
    broken.write_text("#!/bin/sh\ncase \"$1\" in --voices*) echo 'Pty Language'; echo ' 5 vi --/M V f';;\n"
                      "*) echo 'audio device busy' >&2; exit 3;; esac\n")
    broken.chmod(0o755)
    speech = speak("Xin chào", Voice(binary=str(broken)))
    assert speech.prepared is None
    assert speech.note_en is not None and "failed: audio device busy" in speech.note_en


@pytest.mark.parametrize("text", ["", "   ", "a" * (MAX_CHARS + 1)])
def test_empty_or_overlong_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="text"):
        speak(text)


def test_hyphenated_loanwords_are_spaced_for_espeak() -> None:
    assert speakable("3 km") == "ba ki lô mét"
