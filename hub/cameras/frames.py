"""Snapshot bytes to a grayscale frame the checks can use, refusing anything that is not a sane JPEG.

The header is read before OpenCV sees the bytes: a JPEG that claims 60,000 x 60,000 pixels is refused by its
SOF marker (and by OPENCV_IO_MAX_IMAGE_PIXELS behind it), a PNG or HTML page by its magic bytes. Frames are
decoded straight to half-size grayscale (IMREAD_REDUCED_GRAYSCALE_2): every check works on luminance, and the
reduced decode skips most of the IDCT work (about 2 ms instead of 5 for 1280x720).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from hub.cameras import MAX_IMAGE_PIXELS

# cv2 and numpy are imported in `decode`, when a snapshot comes: an idle hub need not carry them.
if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Gray = NDArray[np.uint8]
MAX_SIDE: Final = 4096
MIN_SIDE: Final = 64
_SOF: Final = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})


class BadImage(ValueError):
    """The snapshot is not a JPEG the hub will decode; the message says why (shown to technicians)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    gray: Gray  # half size, 8-bit luminance
    width: int  # the camera's full resolution, from the header
    height: int


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the JPEG's frame header, or BadImage naming what is wrong."""
    if len(data) < 4 or data[:3] != b"\xff\xd8\xff":
        raise BadImage("not a JPEG (no FF D8 FF start of image)")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise BadImage(f"corrupt JPEG: expected a marker at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _STANDALONE:
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if length < 2:
            raise BadImage(f"corrupt JPEG: segment length {length} at byte {i}")
        if marker in _SOF:
            if i + 9 > len(data):
                break
            height = int.from_bytes(data[i + 5:i + 7], "big")
            width = int.from_bytes(data[i + 7:i + 9], "big")
            return width, height
        if marker == 0xDA:  # start of scan before any frame header
            break
        i += 2 + length
    raise BadImage("corrupt JPEG: no frame header (SOF) found")


def check_size(width: int, height: int) -> None:
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_IMAGE_PIXELS:
        raise BadImage(f"JPEG is {width}x{height} pixels; the limit is {MAX_SIDE}x{MAX_SIDE}")
    if width < MIN_SIDE or height < MIN_SIDE:
        raise BadImage(f"JPEG is {width}x{height} pixels; at least {MIN_SIDE}x{MIN_SIDE} is needed to judge it")


def decode(data: bytes) -> Decoded:
    """Half-size grayscale frame of a snapshot, or BadImage (not a JPEG, too large, corrupt)."""
    import cv2
    import numpy as np

    width, height = jpeg_size(data)
    check_size(width, height)
    if data.rstrip(b"\x00")[-2:] != b"\xff\xd9":  # libjpeg would fill a cut-off picture with grey and go on
        raise BadImage("truncated JPEG: no end-of-image marker")
    try:
        gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_2)
    except cv2.error as exc:  # OpenCV refuses over OPENCV_IO_MAX_IMAGE_PIXELS by raising
        raise BadImage(f"JPEG refused by the decoder: {str(exc).strip().splitlines()[-1][:120]}") from None
    if gray is None or gray.size == 0:
        raise BadImage("corrupt JPEG: the decoder could not read the picture")
    return Decoded(np.asarray(gray, np.uint8), width, height)


def __getattr__(name: str) -> object:
    """`Gray` for callers that import it at run time (numpy is loaded then, not when the module is)."""
    if name == "Gray":
        import numpy as np
        from numpy.typing import NDArray

        return NDArray[np.uint8]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
