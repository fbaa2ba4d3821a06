"""Uploads made in the test: every accepted format normalised to -16 LUFS; every broken file refused
with its reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hub.broadcasts.loudness import TARGET_LUFS, measure
from hub.broadcasts.media import MAX_BYTES, RATE, MediaError, decode, prepare
from hub.broadcasts.mediastore import MediaStore
from tests.broadcasts.audio import FORMATS, encode, wav_header_only


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_each_accepted_format_is_normalised_to_the_target(kind: str) -> None:
    prepared = prepare(encode(kind, seconds=3.0, level=0.1))
    assert prepared.duration_s == pytest.approx(3.0, abs=0.1)
    samples, fmt, _ = decode(prepared.data)  # measure what the speakers will download, not our floats
    assert fmt == "MP3"
    loud = measure(samples, RATE)
    assert abs(loud.integrated_lufs - TARGET_LUFS) <= 1.0
    assert loud.true_peak_dbtp <= -0.5
    assert prepared.lufs == pytest.approx(TARGET_LUFS, abs=1.0)


@pytest.mark.parametrize("level", [0.003, 0.95])
def test_quiet_and_loud_recordings_both_land_on_the_target(level: float) -> None:
    prepared = prepare(encode("wav", seconds=4.0, level=level))
    samples, _, _ = decode(prepared.data)
    loud = measure(samples, RATE)
    assert abs(loud.integrated_lufs - TARGET_LUFS) <= 1.0
    assert loud.true_peak_dbtp <= -0.5  # the loud one clipped at the source; the limiter held the ceiling
    assert abs(prepared.source_lufs - TARGET_LUFS) > 5  # it really was far from the target


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_a_truncated_file_is_refused(kind: str) -> None:
    data = encode(kind, seconds=3.0)
    with pytest.raises(MediaError) as caught:
        prepare(data[: len(data) * 2 // 3])
    assert (caught.value.status, caught.value.code) == (422, "truncated")


def test_text_renamed_to_mp3_is_not_audio(tmp_path: Path) -> None:
    fake = tmp_path / "ban-tin.mp3"
    fake.write_text("Thông báo: họp thôn lúc 19 giờ tối nay.\n" * 40, encoding="utf-8")
    with pytest.raises(MediaError) as caught:
        prepare(fake.read_bytes())
    assert (caught.value.status, caught.value.code) == (422, "not_audio")
    assert "Không phải tệp âm thanh" in str(caught.value)


def test_a_zero_second_file_is_too_short() -> None:
    data = wav_header_only(0.0)  # a valid header, no samples: what a recorder stopped at once leaves
    assert len(data) == 44
    with pytest.raises(MediaError) as caught:
        prepare(data)
    assert caught.value.code == "too_short"
    assert "0.0" in caught.value.en


def test_a_silent_recording_is_refused() -> None:
    with pytest.raises(MediaError) as caught:
        prepare(encode("wav", np.zeros(3 * 44_100, np.float32)))
    assert (caught.value.status, caught.value.code) == (422, "silent")


def test_too_long_by_its_header_is_refused_before_decoding() -> None:
    data = wav_header_only(16 * 60)  # 16 minutes of 8 kHz audio, 7.7 MB: under the size limit
    assert len(data) < MAX_BYTES
    with pytest.raises(MediaError) as caught:
        prepare(data)
    assert (caught.value.status, caught.value.code) == (422, "too_long")
    assert "16:00" in caught.value.en and "15:00" in caught.value.en


def test_too_long_found_while_decoding() -> None:
    with pytest.raises(MediaError) as caught:
        prepare(encode("mp3", seconds=5.0), max_seconds=2)
    assert caught.value.code == "too_long"


def test_an_oversized_upload_is_413_without_decoding() -> None:
    data = wav_header_only(1.0) + b"\x80" * MAX_BYTES
    with pytest.raises(MediaError) as caught:
        prepare(data)
    assert (caught.value.status, caught.value.code) == (413, "too_large")
    assert "20.0 MB" in caught.value.en


def test_an_empty_upload_is_refused() -> None:
    with pytest.raises(MediaError) as caught:
        prepare(b"")
    assert caught.value.code == "empty"


def test_the_store_keeps_one_copy_per_sound(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    data = encode("ogg", seconds=2.0)
    first, second = store.put(prepare(data)), store.put(prepare(data))
    assert first == second
    assert store.count() == 1
    assert store.path(first.sha256).stat().st_size == first.bytes
    assert store.get(first.sha256) == first
    assert store.get("0" * 64) is None
    assert store.get("../../etc/passwd") is None
