"""The media error, apart from the decoding code so that routes and the service can name it without
importing PyAV, numpy and scipy (they load only when a medium is actually checked)."""

from __future__ import annotations


class MediaError(ValueError):
    """An upload refused: `status` 413 or 422, `code` for programs, the message for people (vi — en)."""

    def __init__(self, status: int, code: str, vi: str, en: str) -> None:
        super().__init__(f"{vi} — {en}")
        self.status, self.code, self.vi, self.en = status, code, vi, en
