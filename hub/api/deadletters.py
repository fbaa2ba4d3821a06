"""GET /api/dead-letters (technician): the messages ingest refused, newest first, with counts by reason.

A refused message is never dropped silently (design §4): the outbox keeps it with the reason and a detail
naming the field. This route is how a technician finds the device that sends it.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from hub.api.access import Role, allow
from hub.api.deps import HubDep
from hub.ingest.outbox import StoredDeadLetter

PREVIEW_CHARS: Final = 200  # enough to see what is wrong; a phone needs no more

router = APIRouter(prefix="/api/dead-letters", tags=["diagnostics"], dependencies=[allow(Role.TECHNICIAN)])


class DeadLetterPublic(BaseModel):
    id: int
    received_ms: int
    topic: str
    reason: str  # bad_topic | oversized | malformed | invalid | unknown_device | wrong_kind
    detail: str  # names the field, e.g. "brightness: Input should be less than or equal to 100"
    payload_preview: str  # the payload as text (undecodable bytes as U+FFFD), cut at PREVIEW_CHARS
    payload_bytes: int  # of the stored payload (the outbox caps what it keeps)


class DeadLetters(BaseModel):
    total: int
    counts: dict[str, int]
    letters: list[DeadLetterPublic]


@router.get("", response_model=DeadLetters)
async def dead_letters(
    hub: HubDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    reason: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
) -> DeadLetters:
    # SQLite reads are blocking: keep them off the event loop.
    letters = await run_in_threadpool(hub.outbox.dead_letters, limit, reason)
    counts = await run_in_threadpool(hub.outbox.dead_letter_counts)
    return DeadLetters(total=sum(counts.values()), counts=counts, letters=[_public(d) for d in letters])


def _public(letter: StoredDeadLetter) -> DeadLetterPublic:
    text = letter.payload.decode("utf-8", errors="replace")
    preview = text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
    return DeadLetterPublic(
        id=letter.id, received_ms=letter.received_ms, topic=letter.topic, reason=letter.reason,
        detail=letter.detail, payload_preview=preview, payload_bytes=len(letter.payload),
    )
