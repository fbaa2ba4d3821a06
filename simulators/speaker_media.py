"""A loudspeaker's media store as pure data: what to fetch, hash checks, retries with backoff.

Media are kept by sha256, as the hub stores and serves them, so a daily bulletin is fetched once and a
download is only ever trusted once its bytes hash to what the plan says: a wrong or truncated file is
refused, reported and fetched again later, never played.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

RETRY_MS: Final = (5_000, 300_000)  # backoff after a failed download: 5 s doubling up to 5 min
REASON_CHARS: Final = 400  # an event's detail holds 500: room for "media_unavailable: " before it
KEEP: Final = 64  # media kept beyond the ones the plan needs (an emergency siren, yesterday's bulletin)


@dataclass(frozen=True, slots=True)
class Fetched:
    """How a download ended: verified, or the reason it was refused."""

    sha256: str
    ok: bool
    detail: str | None = None


@dataclass
class MediaStore:
    ready: OrderedDict[str, int] = field(default_factory=OrderedDict)  # sha256 -> size in bytes
    inflight: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)  # sha256 -> why the last attempt failed
    retry_at: dict[str, int] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)

    def has(self, sha256: str) -> bool:
        return sha256 in self.ready

    def wanted(self, needs: Mapping[str, str], now_ms: int) -> list[tuple[str, str]]:
        """(sha256, url) to fetch now among `needs` (sha256 -> url), each marked in flight."""
        start = [(sha, url) for sha, url in needs.items()
                 if sha not in self.ready and sha not in self.inflight and self.retry_at.get(sha, 0) <= now_ms]
        self.inflight.update(sha for sha, _ in start)
        return start

    def fetched(self, sha256: str, body: bytes | None, error: str | None, now_ms: int) -> Fetched:
        """A download came back, with its bytes or the error that stopped it."""
        self.inflight.discard(sha256)
        if body is not None and error is None:
            got = hashlib.sha256(body).hexdigest()
            if got == sha256:
                self._keep(sha256, len(body))
                return Fetched(sha256, True)
            reason = f"sha256 mismatch: got {got[:12]}…, expected {sha256[:12]}… ({len(body)} bytes): refused"
        else:
            reason = f"download: {error or 'no data'}"
        reason = reason[:REASON_CHARS]
        self.errors[sha256] = reason
        tries = self.attempts[sha256] = self.attempts.get(sha256, 0) + 1
        self.retry_at[sha256] = now_ms + min(RETRY_MS[0] * 2 ** (tries - 1), RETRY_MS[1])
        return Fetched(sha256, False, reason)

    def next_retry(self, needs: Mapping[str, str]) -> int | None:
        return min((self.retry_at[sha] for sha in needs if sha in self.retry_at and sha not in self.ready
                    and sha not in self.inflight), default=None)

    def why_missing(self, sha256: str) -> str:
        return self.errors.get(sha256, "not downloaded yet")

    def forget_unless(self, needed: set[str]) -> None:
        """Drop the oldest media the plan no longer needs once more than KEEP are held."""
        spare = [sha for sha in self.ready if sha not in needed]
        for sha in spare[: max(len(spare) - KEEP, 0)]:
            del self.ready[sha]

    def _keep(self, sha256: str, size: int) -> None:
        self.ready[sha256] = size
        self.ready.move_to_end(sha256)
        for book in (self.errors, self.retry_at, self.attempts):
            book.pop(sha256, None)
