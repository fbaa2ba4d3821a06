"""Hostile snapshots are refused with a reason before OpenCV allocates anything for them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hub.cameras.frames import BadImage, decode, jpeg_size


def jpeg(width: int = 320, height: int = 240) -> bytes:
    img = np.full((height, width, 3), 120, np.uint8)
    cv2.circle(img, (width // 2, height // 2), height // 3, (10, 200, 30), -1)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return bytes(buf)


def with_size(data: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its frame header claiming another size (a decompression bomb's trick)."""
    i = data.index(b"\xff\xc0")
    return data[:i + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + data[i + 9:]


def test_a_sane_jpeg_decodes_to_half_size_grayscale() -> None:
    frame = decode(jpeg(320, 240))
    assert (frame.width, frame.height) == (320, 240)
    assert frame.gray.shape == (120, 160) and frame.gray.dtype == np.uint8


@pytest.mark.parametrize(("data", "why"), [
    (b"<html>login</html>", "not a JPEG"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a JPEG"),
    (jpeg()[: len(jpeg()) // 2], "truncated JPEG"),
    (with_size(jpeg(), 60_000, 60_000), "60000x60000 pixels; the limit is 4096x4096"),
    (with_size(jpeg(), 16, 16), "at least 64x64"),
    (b"\xff\xd8\xff\xe0\x00\x01", "segment length 1"),
    (b"\xff\xd8\xff\xda\x00\x08" + bytes(10), "no frame header"),
])
def test_hostile_images_are_refused_with_their_reason(data: bytes, why: str) -> None:
    with pytest.raises(BadImage, match=why):
        decode(data)


def test_garbage_after_a_valid_header_is_refused() -> None:
    good = jpeg()
    start = good.index(b"\xff\xda") + 20
    rng = np.random.default_rng(1)
    bad = good[:start] + rng.integers(0, 255, 400, dtype=np.uint8).tobytes()
    with pytest.raises(BadImage):
        decode(bad)


def test_size_read_from_the_header() -> None:
    assert jpeg_size(jpeg(640, 360)) == (640, 360)
