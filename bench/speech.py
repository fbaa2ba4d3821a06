"""Text-to-speech for a 30-second bulletin: the real-time factor (seconds of work per second of speech) of
espeak-ng (voice vi) alone and of the hub's whole path (normalise text -> espeak-ng -> decode -> EBU R128
loudness + limiter -> MP3), beside the same run's baseline: the media path alone on the same WAV (decode,
loudness, encode), which every upload pays too.

    .venv/bin/python bench/speech.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import figure
from hub.broadcasts.media import RATE, decode, finish
from hub.broadcasts.speech import WORDS_PER_MINUTE, speak, speakable

# About 30 s read at a public-address pace: a typical morning notice with a date, times, money, a phone.
TEXT = ("Thông báo của Ủy ban nhân dân xã Sơn Vi. Vào hồi 7:30 sáng Chủ nhật ngày 7/12/2025, thôn tổ chức tổng "
        "vệ sinh đường làng, ngõ xóm. Đề nghị mỗi hộ cử một người tham gia, mang theo chổi và cuốc. Hộ không "
        "tham gia đóng góp 50.000 đồng. Từ 14h đến 16h30 chiều cùng ngày, trạm y tế xã tiêm phòng cho trẻ "
        "dưới 5 tuổi tại nhà văn hoá thôn. Mọi thắc mắc xin liên hệ trưởng thôn, số điện thoại 0912345678.")


def espeak_alone(text: str) -> tuple[float, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        began = time.perf_counter()
        subprocess.run(["espeak-ng", "-v", "vi", "-s", str(WORDS_PER_MINUTE), "-b", "1", "-w", str(out)],
                       input=speakable(text).encode(), check=True, capture_output=True)
        return time.perf_counter() - began, out.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    speak(TEXT)  # warm: imports, the voice check, page cache
    alone, whole, media, durations = [], [], [], []
    for _ in range(rounds):
        took, wav = espeak_alone(TEXT)
        alone.append(took)
        began = time.perf_counter()
        speech = speak(TEXT)
        whole.append(time.perf_counter() - began)
        assert speech.prepared is not None, speech.note_en
        durations.append(speech.prepared.duration_s)
        began = time.perf_counter()
        samples, _, _ = decode(wav)
        finish(samples, "TTS", "espeak-ng/vi")
        media.append(time.perf_counter() - began)
    seconds = statistics.median(durations)
    base = statistics.median(media) / seconds
    print(f"bulletin: {len(TEXT)} characters, {seconds:.1f} s of speech at {RATE} Hz, {rounds} rounds (medians)")
    print(figure("baseline: media path alone (RTF)", statistics.median(media) / seconds * 1000, "ms/s"))
    print(figure("espeak-ng vi alone (RTF)", statistics.median(alone) / seconds * 1000, "ms/s",
                 base * 1000))
    print(figure("whole text -> stored MP3 (RTF)", statistics.median(whole) / seconds * 1000, "ms/s",
                 base * 1000, f"= {statistics.median(whole):.2f} s for {seconds:.1f} s"))


if __name__ == "__main__":
    main()
