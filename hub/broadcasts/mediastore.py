"""Media on disk, once each, named by the sha256 of the bytes the speakers download: data_dir/media/
{sha256}.mp3 beside {sha256}.json (what was measured). Written to a temporary name and renamed, so a reader
never sees half a file and a crash leaves no medium that a speaker would fail to verify."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from hub.broadcasts.media import Prepared

SHA256: Final = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Medium:
    sha256: str
    bytes: int
    duration_s: float
    source_format: str
    source_codec: str
    source_lufs: float
    lufs: float
    mime: str = "audio/mpeg"


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def put(self, prepared: Prepared) -> Medium:
        """Keep `prepared` (a second upload of the same sound keeps the first copy) and describe it."""
        medium = Medium(prepared.sha256, len(prepared.data), prepared.duration_s, prepared.source_format,
                        prepared.source_codec, prepared.source_lufs, prepared.lufs)
        if not self.path(prepared.sha256).exists():
            self._write(self._meta(prepared.sha256), json.dumps(asdict(medium)).encode())
            self._write(self.path(prepared.sha256), prepared.data)  # last: its presence means "complete"
        return medium

    def get(self, sha256: str) -> Medium | None:
        if not SHA256.fullmatch(sha256) or not self.path(sha256).exists():
            return None
        try:
            return Medium(**json.loads(self._meta(sha256).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def path(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256):
            raise ValueError(f"{sha256!r} is not a sha256 (64 lowercase hex digits)")
        return self.root / f"{sha256}.mp3"

    def count(self) -> int:
        return sum(1 for _ in self.root.glob("*.mp3"))

    def _meta(self, sha256: str) -> Path:
        return self.root / f"{sha256}.json"

    def _write(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
