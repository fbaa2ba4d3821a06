"""What goes to the speakers and what comes back, as pure functions: each speaker's retained plan (its next
48 hours), the `set` commands for what must happen at once, and the as-run log's moves on each event.

Command ids are derived from the occurrence ("play-b12-202612010600"), so a hub that restarts in the middle
of a delivery sends the same id again and the speaker, which de-duplicates on it and never plays an
occurrence twice, plays it once.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Final

from devices.speaker import MAX_PLAN_ENTRIES, PlanEntry, SpeakerConfig, SpeakerEvent, SpeakerSet
from hub.broadcasts.plan import Occurrence
from hub.broadcasts.store import Run

PLAN_MS: Final = 48 * 3_600_000
DEAD_AIR_MS: Final = 10_000  # a bulletin that should play and is not reported started by then is dead air
TERMINAL: Final = frozenset({"finished", "failed", "missed", "stopped"})
OUTCOMES: Final[dict[str, tuple[str, str]]] = {
    "planned": ("Đã lên lịch", "Planned"),
    "started": ("Đang phát", "Playing"),
    "finished": ("Đã phát xong", "Aired"),
    "interrupted": ("Bị ngắt", "Interrupted"),
    "failed": ("Lỗi", "Failed"),
    "missed": ("Bị lỡ", "Missed"),
    "stopped": ("Đã dừng", "Stopped"),
    "no_report": ("Không có báo cáo (im lặng)", "No report (dead air)"),
}


def entry(o: Occurrence, media_url: str | None = None) -> PlanEntry:
    b = o.bulletin
    assert b.media_sha256 is not None, "only playable bulletins are planned"
    return PlanEntry(occurrence_id=o.id, bulletin_id=b.id, start_ms=o.start_ms, until_ms=o.until_ms,
                     sha256=b.media_sha256, media_url=media_url, duration_ms=b.duration_ms, volume=b.volume,
                     priority=b.priority, repeat=b.repeat, gap_s=b.gap_s)


def speaker_config(occurrences: Iterable[Occurrence], media_base_url: str, default_volume: int = 70) -> SpeakerConfig:
    """The speaker's plan: the first MAX_PLAN_ENTRIES playable occurrences by start; its version is a checksum,
    so an unchanged plan re-pushed is the same config and the speaker is not disturbed."""
    chosen = sorted((o for o in occurrences if o.bulletin.media_sha256), key=lambda o: (o.start_ms, o.id))
    entries = [entry(o) for o in chosen[:MAX_PLAN_ENTRIES]]
    version = zlib.crc32(json.dumps([e.model_dump() for e in entries], sort_keys=True).encode()) & 0x7FFFFFFF
    return SpeakerConfig(version=version, default_volume=default_volume, media_base_url=media_base_url,
                         entries=entries)


def play_now(o: Occurrence, media_base_url: str, now_ms: int) -> SpeakerSet:
    assert o.bulletin.media_sha256 is not None
    url = f"{media_base_url.rstrip('/')}/{o.bulletin.media_sha256}"
    return SpeakerSet(command_id=f"play-{o.id}"[:64], ts=now_ms, expires_at=o.until_ms, action="play",
                      entry=entry(o, url))


def stop(occurrence_id: str, now_ms: int, until_ms: int) -> SpeakerSet:
    """Stop an occurrence playing or waiting; pointless (and so expired) once its window and length are over."""
    return SpeakerSet(command_id=f"stop-{occurrence_id}"[:64], ts=now_ms, expires_at=until_ms, action="stop",
                      occurrence_id=occurrence_id)


def planned_runs(occurrences: Iterable[tuple[Occurrence, str]], now_ms: int) -> list[Run]:
    return [Run(o.id, speaker, o.bulletin.id, o.start_ms, "planned", updated_ms=now_ms) for o, speaker in occurrences]


def on_event(run: Run, event: SpeakerEvent, now_ms: int) -> Run:
    """The run after the speaker's event (at_ms: when it happened on the speaker, maybe long before it was
    sent). A terminal run stays as it is: QoS 1 may bring an event twice."""
    if run.outcome in TERMINAL:
        return run
    at = event.at_ms if event.at_ms is not None else event.ts
    kind = event.event
    if kind in ("started", "resumed"):
        return replace(run, outcome="started", started_ms=run.started_ms or at, detail=None, updated_ms=now_ms)
    if kind == "interrupted":
        return replace(run, outcome="interrupted", interruptions=run.interruptions + 1, detail=event.detail,
                       updated_ms=now_ms)
    if kind in TERMINAL:
        return replace(run, outcome=kind, ended_ms=at, detail=event.detail or run.detail, updated_ms=now_ms)
    return run


def dead_air(expected: Sequence[tuple[str, str, int]], runs: dict[tuple[str, str], Run], now_ms: int) -> list[Run]:
    """The runs that should have started (expected start + 10 s passed: (occurrence, speaker, expected start))
    and that no speaker reported: they become `no_report` (a late report still moves them on)."""
    out = []
    for occurrence_id, speaker, start in expected:
        run = runs.get((occurrence_id, speaker))
        if run is not None and run.outcome == "planned" and now_ms >= start + DEAD_AIR_MS:
            out.append(replace(run, outcome="no_report", detail="không có báo cáo bắt đầu sau 10 giây",
                               updated_ms=now_ms))
    return out
