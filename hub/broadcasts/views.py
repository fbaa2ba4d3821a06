"""What the API shows of the broadcasts (Vietnamese first, English second), and the as-run log as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from devices.site import Site
from hub.broadcasts.delivery import OUTCOMES
from hub.broadcasts.faults import TITLES
from hub.broadcasts.mediastore import Medium
from hub.broadcasts.model import PRIORITY_VI, Bulletin
from hub.broadcasts.plan import Slot
from hub.broadcasts.speech import Speech
from hub.broadcasts.store import Run, SpeakerFault


class Delivery(BaseModel):
    occurrence_id: str
    total: int
    counts: dict[str, int]
    vi: str
    en: str
    done: bool


class BulletinPublic(Bulletin):
    media_url: str | None  # relative: "/media/{sha256}", to listen again
    speakers: list[str]
    delivery: list[Delivery] = Field(default_factory=list)

    @classmethod
    def of(cls, b: Bulletin, speakers: Iterable[str], delivery: Sequence[tuple[str, Mapping[str, object]]] = ()
           ) -> BulletinPublic:
        url = f"/media/{b.media_sha256}" if b.media_sha256 else None
        return cls(**b.model_dump(), media_url=url, speakers=sorted(speakers),
                   delivery=[Delivery.model_validate({"occurrence_id": o, **r}) for o, r in delivery])


class MediumPublic(BaseModel):
    sha256: str
    url: str
    bytes: int
    duration_s: float
    source_format: str
    source_lufs: float
    lufs: float

    @classmethod
    def of(cls, m: Medium) -> MediumPublic:
        return cls(sha256=m.sha256, url=f"/media/{m.sha256}", bytes=m.bytes, duration_s=m.duration_s,
                   source_format=m.source_format, source_lufs=m.source_lufs, lufs=m.lufs)


class SpeechPreview(BaseModel):
    text: str  # what is said, after normalisation
    medium: MediumPublic | None  # None: speech unavailable, see the note
    note_vi: str | None
    note_en: str | None

    @classmethod
    def of(cls, speech: Speech, medium: Medium | None) -> SpeechPreview:
        return cls(text=speech.text, medium=MediumPublic.of(medium) if medium else None, note_vi=speech.note_vi,
                   note_en=speech.note_en)


class PlannedSlot(BaseModel):
    occurrence_id: str
    bulletin_id: str
    title: str
    priority: str
    start: str  # local ISO time
    end: str
    outcome: str  # plays, interrupted, missed (what the priorities will do)
    by: str | None


class SpeakerPlan(BaseModel):
    speaker: str
    name: str
    zone: str
    slots: list[PlannedSlot]

    @classmethod
    def of(cls, site: Site, speaker: str, slots: Sequence[Slot], tz: ZoneInfo) -> SpeakerPlan:
        device = site.device(speaker)
        return cls(speaker=speaker, name=device.name if device else speaker, zone=device.group if device else "",
                   slots=[PlannedSlot(occurrence_id=s.occurrence.id, bulletin_id=s.occurrence.bulletin.id,
                                      title=s.occurrence.bulletin.title, priority=s.occurrence.bulletin.priority,
                                      start=_iso(s.start_ms, tz), end=_iso(s.end_ms, tz), outcome=s.outcome, by=s.by)
                          for s in slots])


class RunPublic(BaseModel):
    bulletin_id: str
    title: str
    priority: str
    occurrence_id: str
    speaker: str
    speaker_name: str
    zone: str
    planned: str
    started: str | None
    ended: str | None
    outcome: str
    vi: str
    en: str
    interruptions: int
    detail: str | None

    @classmethod
    def of(cls, run: Run, bulletins: Mapping[str, Bulletin], site: Site, tz: ZoneInfo) -> RunPublic:
        b = bulletins.get(run.bulletin_id)
        device = site.device(run.speaker)
        vi, en = OUTCOMES.get(run.outcome, (run.outcome, run.outcome))
        return cls(bulletin_id=run.bulletin_id, title=b.title if b else run.bulletin_id,
                   priority=b.priority if b else "", occurrence_id=run.occurrence_id, speaker=run.speaker,
                   speaker_name=device.name if device else run.speaker, zone=device.group if device else "",
                   planned=_iso(run.planned_ms, tz), started=_iso_or_none(run.started_ms, tz),
                   ended=_iso_or_none(run.ended_ms, tz), outcome=run.outcome, vi=vi, en=en,
                   interruptions=run.interruptions, detail=run.detail)


CSV_HEADER = ("Mã bản tin / Bulletin", "Tiêu đề / Title", "Mức ưu tiên / Priority", "Lần phát / Occurrence",
              "Loa / Speaker", "Vùng / Zone", "Giờ dự kiến / Planned", "Bắt đầu / Started", "Kết thúc / Ended",
              "Kết quả / Outcome", "Số lần bị ngắt / Interruptions", "Ghi chú / Detail")


def log_csv(rows: Sequence[RunPublic]) -> str:
    """The as-run log a commune can file: UTF-8 with a BOM (spreadsheet programs then read the diacritics)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow((r.bulletin_id, r.title, PRIORITY_VI.get(r.priority, r.priority), r.occurrence_id,
                         r.speaker_name, r.zone, r.planned, r.started or "", r.ended or "", f"{r.vi} / {r.en}",
                         r.interruptions, r.detail or ""))
    return out.getvalue()


class SpeakerFaultPublic(BaseModel):
    id: int
    kind: str
    subject: str
    subject_name: str
    vi: str
    en: str
    opened_ms: int
    seen_ms: int | None
    closed_ms: int | None
    detail: dict[str, object]

    @classmethod
    def of(cls, f: SpeakerFault, site: Site) -> SpeakerFaultPublic:
        device = site.device(f.subject)
        name = device.name if device else f.subject
        vi, en = TITLES.get(f.kind, (f.kind, f.kind))
        return cls(id=f.id, kind=f.kind, subject=f.subject, subject_name=name, vi=f"{name}: {vi}", en=f"{name}: {en}",
                   opened_ms=f.opened_ms, seen_ms=f.seen_ms, closed_ms=f.closed_ms, detail=f.detail)


def _iso(ms: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(ms / 1000, tz).isoformat(timespec="seconds")


def _iso_or_none(ms: int | None, tz: ZoneInfo) -> str | None:
    return None if ms is None else _iso(ms, tz)
