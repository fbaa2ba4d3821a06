"""Bulletin media: uploads and spoken previews (head, technician), and the files speakers download.

`GET /media/{sha256}` is public on purpose: speakers have no accounts. It serves by hash only (no listing,
nothing guessable: a 256-bit name), with range requests so a speaker on a weak 4G link resumes a download,
and the speaker checks what it got against the same hash. The upload is the raw body (Content-Type audio/*
or application/octet-stream); what it is comes from decoding it, never from its name or type."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

from hub.api.access import Principal, Role, allow, public
from hub.api.deps import service_dep
from hub.broadcasts.errors import MediaError
from hub.broadcasts.service import Broadcasts
from hub.broadcasts.speech import MAX_CHARS
from hub.broadcasts.views import MediumPublic, SpeechPreview

router = APIRouter(tags=["media"])

BroadcastsDep = Annotated[Broadcasts, Depends(service_dep("broadcasts", Broadcasts))]
Operator = Annotated[Principal, allow(Role.HEAD, Role.TECHNICIAN)]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


class SpeechRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CHARS)]


@router.post("/api/media", status_code=201, response_model=MediumPublic,
             responses={413: {"description": "over 20 MB"}, 422: {"description": "not fit to broadcast, with why"}})
async def upload(request: Request, service: BroadcastsDep, who: Operator) -> MediumPublic:
    """MP3, WAV, OGG/Opus, M4A/AAC (or a phone's WebM recording), at most 20 MB and 15 minutes; checked by
    decoding, loudness-normalised to -16 LUFS, stored once by the sha256 of what speakers will download."""
    data = await request.body()  # the body-limit middleware has already refused anything over 20 MiB
    try:
        medium = await run_in_threadpool(service.upload, data, who)
    except MediaError as exc:
        raise HTTPException(exc.status, {"code": exc.code, "vi": exc.vi, "en": exc.en, "msg": str(exc)}) from None
    return MediumPublic.of(medium)


@router.post("/api/media/speech", response_model=SpeechPreview)
def speech_preview(body: SpeechRequest, service: BroadcastsDep, _: Operator) -> SpeechPreview:
    """Text spoken in Vietnamese (the preview the head hears before scheduling, "Nghe thử"); without speech
    the answer says so in `note_vi` / `note_en` and has no medium."""
    speech, medium = service.speak(body.text)
    return SpeechPreview.of(speech, medium)


@router.get("/media/{sha256}", response_class=FileResponse, dependencies=[public()],
            responses={200: {"content": {"audio/mpeg": {}}}, 206: {"description": "a range of it"}})
def media_file(sha256: Sha256, service: BroadcastsDep) -> FileResponse:
    if service.media.get(sha256) is None:
        raise HTTPException(404, "no such medium")
    return FileResponse(service.media.path(sha256), media_type="audio/mpeg",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})
