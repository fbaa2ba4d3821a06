"""Camera health: registry (where each camera answers), pure picture checks on numpy frames, the prober
that fetches snapshots off the event loop, per-camera health, and the service that turns health changes into
faults, events, history and the retained `camera/{id}/state` message."""

from __future__ import annotations

import os

# OpenCV reads this once, at its first decode: a JPEG header claiming more pixels than this is refused before
# any buffer is allocated (a 60,000 x 60,000 "decompression bomb" would otherwise ask for gigabytes).
MAX_IMAGE_PIXELS = 4096 * 4096
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_IMAGE_PIXELS))
