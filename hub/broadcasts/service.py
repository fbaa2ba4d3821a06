"""The broadcasts service: bulletins kept in the state DB, each speaker's retained 48 h plan, `set` at once
for emergencies and changes, the as-run log from the speakers' events, and speaker faults.

Runs as one service of the runtime (hub/service.py): the router's worker "svc-broadcasts" brings every
speaker message and calls `tick` (plan re-push as the window slides, due rows, dead air, set re-sends,
offline faults). API calls (create, update, cancel, uploads) come from FastAPI's threadpool; shared state
is behind one lock and nothing is published while it is held. Speech (espeak-ng) and media decoding run
on the calling API thread, never on the worker.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from devices.contract import Channel, Kind
from devices.site import Site
from devices.speaker import SpeakerAck, SpeakerEvent, SpeakerTelemetry
from hub.auth.audit import AuditLog
from hub.auth.principal import Principal
from hub.broadcasts.asrun import AsRun, rollup
from hub.broadcasts.checks import PAST_MS, BulletinError, check, resolve_targets
from hub.broadcasts.delivery import PLAN_MS, play_now, stop
from hub.broadcasts.errors import MediaError
from hub.broadcasts.events import changed_event, fault_event, publish_delivery
from hub.broadcasts.faults import SpeakerFaults, evaluate
from hub.broadcasts.mediastore import MediaStore, Medium
from hub.broadcasts.model import Bulletin, BulletinBody
from hub.broadcasts.plan import (
    Occurrence,
    QuietHours,
    duplicate_emergency,
    expand,
    per_speaker,
)
from hub.broadcasts.sender import Sender
from hub.broadcasts.speech import Speech, Voice, speak
from hub.broadcasts.store import BulletinTable, FaultTable, Run, RunLog, SpeakerFault
from hub.bus.base import Bus
from hub.events import EventHub
from hub.registry import Registry
from hub.service import Batch, Route, of_channel

log = logging.getLogger(__name__)
NOW_MS = 60_000  # an occurrence starting within a minute also goes out as `set` play


@dataclass(frozen=True, slots=True)
class BroadcastOptions:
    tick_s: float = 1.0
    media_base_url: str = "http://127.0.0.1:8000/media"  # what speakers download from
    quiet: QuietHours = field(default_factory=QuietHours)
    voice: Voice = field(default_factory=Voice)
    repush_ms: int = 3 * 3_600_000  # the 48 h plan slides: re-push so at least 45 h lie ahead
    offline_hold_ms: int = 60_000


class Broadcasts:
    name = "broadcasts"
    wants: frozenset[Route] = frozenset((Kind.SPEAKER, c) for c in (
        Channel.AVAILABILITY, Channel.TELEMETRY, Channel.ACK, Channel.EVENT))

    def __init__(self, bus: Bus, registry: Registry, bulletins: BulletinTable, runs: RunLog, faults: FaultTable,
                 media: MediaStore, audit: AuditLog, events: EventHub, clock: Callable[[], int],
                 options: BroadcastOptions = BroadcastOptions()) -> None:
        self._bus, self._registry, self._table, self._audit, self._events = bus, registry, bulletins, audit, events
        self._clock, self.options, self.media = clock, options, media
        self.tick_s: float | None = options.tick_s
        self.site: Site = registry.site
        self.tz = ZoneInfo(self.site.timezone)
        self.speakers = [d.id for d in self.site.devices if d.kind == Kind.SPEAKER]
        self._lock = threading.RLock()
        self._bulletins: dict[str, Bulletin] = {}
        self._targets: dict[str, frozenset[str]] = {}
        self._last_push: int | None = None
        self._dirty = True
        self.sender = Sender(bus, registry, options.media_base_url)
        self.asrun = AsRun(runs, lambda b, o, runs_: publish_delivery(events, b, o, runs_))
        self._runs = runs
        self.faults = SpeakerFaults(faults)
        self.faults.listeners.append(lambda fault: events.publish(fault_event(fault)))
        self._due_upto = 0

    def clock(self) -> int:
        return self._clock()

    # --- service life ----------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            for b in self._table.all():
                self._bulletins[b.id] = b
                self._targets[b.id] = resolve_targets(self.site, b.targets, strict=False)
            self._due_upto = self._clock() - PAST_MS

    def stop(self) -> None:
        self.asrun.tick(self._clock())

    def resync(self) -> None:
        log.warning("broadcasts: speaker messages were dropped on a full queue; the as-run log may show "
                    "no report where a speaker did report")

    def handle(self, batch: Batch) -> None:
        now = self._clock()
        for item in of_channel(batch, Channel.EVENT):
            if isinstance(item.message, SpeakerEvent):
                self._on_event(item.where.device, item.message, now)
        for item in of_channel(batch, Channel.ACK):
            if isinstance(item.message, SpeakerAck):
                self._on_ack(item.where.device, item.message)
        for item in of_channel(batch, Channel.TELEMETRY):
            if isinstance(item.message, SpeakerTelemetry):
                device = item.where.device
                self.faults.apply(evaluate(device, item.message, self.faults.open_kinds(device)), now)

    def tick(self) -> None:
        now = self._clock()
        if self._bus.connected and (self._dirty or self._last_push is None
                                    or now - self._last_push >= self.options.repush_ms):
            self.push()
        self._come_due(now)
        self.sender.resend(now)
        self.faults.offline(self._registry, self.speakers, now, self.options.offline_hold_ms)
        self.asrun.tick(now)

    # --- bulletins ---------------------------------------------------------------------------------
    def bulletins(self) -> list[Bulletin]:
        with self._lock:
            return sorted(self._bulletins.values(), key=lambda b: (b.created_ms, b.id))

    def get(self, bulletin_id: str) -> Bulletin | None:
        with self._lock:
            return self._bulletins.get(bulletin_id)

    def create(self, body: BulletinBody, by: Principal) -> tuple[Bulletin, bool]:
        """(the bulletin, True) or, for the same emergency sent again within a minute, (the first one, False)."""
        now = self._clock()
        bulletin = self._build(f"b{now:x}{secrets.token_hex(2)}", body, now, by.name, now)
        speakers = resolve_targets(self.site, body.targets)
        with self._lock:
            recent = [(b, self._targets[b.id]) for b in self._bulletins.values()]
            same = duplicate_emergency(bulletin, speakers, recent, now)
            if same is not None:
                return same, False
            check(bulletin, {**self._targets, bulletin.id: speakers}, list(self._bulletins.values()),
                  self.options.quiet, self.tz, now)
            self._save(bulletin, speakers)
        self._audit.record(by, "broadcast.create", f"bulletin:{bulletin.id}", "ok", _describe(bulletin))
        self._after_change(bulletin, now)
        return bulletin, True

    def update(self, bulletin_id: str, body: BulletinBody, by: Principal) -> Bulletin | None:
        now = self._clock()
        old = self.get(bulletin_id)
        if old is None:
            return None
        if old.status == "cancelled":
            raise BulletinError("status", "bản tin đã huỷ — the bulletin was cancelled; create a new one")
        bulletin = self._build(bulletin_id, body, old.created_ms, old.created_by, now)
        speakers = resolve_targets(self.site, body.targets)
        with self._lock:
            check(bulletin, {**self._targets, bulletin.id: speakers}, list(self._bulletins.values()),
                  self.options.quiet, self.tz, now)
            self._save(bulletin, speakers)
        self._audit.record(by, "broadcast.update", f"bulletin:{bulletin_id}", "ok", _describe(bulletin))
        self._stop_gone(old, bulletin, now)
        self._after_change(bulletin, now)
        return bulletin

    def cancel(self, bulletin_id: str, by: Principal) -> Bulletin | None:
        now = self._clock()
        old = self.get(bulletin_id)
        if old is None:
            return None
        if old.status == "cancelled":
            return old
        bulletin = old.model_copy(update={"status": "cancelled", "cancelled_ms": now, "updated_ms": now})
        with self._lock:
            self._save(bulletin, self._targets.get(bulletin_id, frozenset()))
        self._audit.record(by, "broadcast.cancel", f"bulletin:{bulletin_id}", "ok", old.title)
        self._stop_gone(old, bulletin, now)
        self._after_change(bulletin, now)
        return bulletin

    def targets_of(self, bulletin_id: str) -> frozenset[str]:
        with self._lock:
            return self._targets.get(bulletin_id, frozenset())

    # --- media and speech ----------------------------------------------------------------------------
    def upload(self, data: bytes, by: Principal) -> Medium:
        from hub.broadcasts.media import prepare  # PyAV, numpy, scipy: loaded on the first upload, not at start

        try:
            medium = self.media.put(prepare(data))
        except MediaError as exc:
            self._audit.record(by, "broadcast.media", "media", "failed", exc.code)
            raise
        self._audit.record(by, "broadcast.media", f"media:{medium.sha256[:12]}", "ok",
                           f"{medium.source_format} {medium.duration_s:.1f}s {medium.source_lufs} LUFS")
        return medium

    def speak(self, text: str) -> tuple[Speech, Medium | None]:
        speech = speak(text, self.options.voice)
        return speech, (self.media.put(speech.prepared) if speech.prepared is not None else None)

    # --- the plan ------------------------------------------------------------------------------------
    def occurrences(self, start_ms: int, end_ms: int) -> list[Occurrence]:
        with self._lock:
            active = list(self._bulletins.values())
        return expand(active, start_ms, end_ms, self.tz)

    def programmes(self, start_ms: int, end_ms: int) -> dict[str, list[Occurrence]]:
        with self._lock:
            targets = dict(self._targets)
        return per_speaker(self.occurrences(start_ms, end_ms), targets)

    def push(self, speakers: Iterable[str] | None = None) -> int:
        """Publish (retained) the plan of each speaker whose plan changed; return how many were sent."""
        now = self._clock()
        sent, expected = self.sender.push(self.programmes(now - PAST_MS, now + PLAN_MS),
                                          speakers if speakers is not None else self.speakers)
        if speakers is None:
            self._last_push, self._dirty = now, False
            self.asrun.expected = expected
        return sent

    def next_up(self, now_ms: int, days: int = 7) -> str | None:
        """The home screen's "Bản tin tiếp theo": "06:00 01/12 — Bản tin sáng", or None within `days`."""
        for o in self.occurrences(now_ms, now_ms + days * 86_400_000):
            if o.start_ms >= now_ms:
                return f"{datetime.fromtimestamp(o.start_ms / 1000, self.tz):%H:%M %d/%m} — {o.bulletin.title}"
        return None

    def log(self, since_ms: int, until_ms: int, bulletin_id: str | None = None) -> list[Run]:
        return self._runs.between(since_ms, until_ms, bulletin_id)

    def delivery(self, bulletin_id: str) -> list[tuple[str, dict[str, object]]]:
        """The roll-up of each occurrence of the bulletin in the last day (newest first)."""
        now = self._clock()
        runs = self._runs.between(now - 86_400_000, now + 60_000, bulletin_id)
        by_occurrence: dict[str, list[Run]] = {}
        for run in runs:
            by_occurrence.setdefault(run.occurrence_id, []).append(run)
        for occurrence_id in by_occurrence:
            live = {r.speaker: r for r in self.asrun.open_runs(occurrence_id)}
            by_occurrence[occurrence_id] = [live.get(r.speaker, r) for r in by_occurrence[occurrence_id]]
        return [(o, rollup(r)) for o, r in sorted(by_occurrence.items(), reverse=True)]

    def see_fault(self, fault_id: int, by: Principal) -> SpeakerFault | None:
        fault = self.faults.see(fault_id, self._clock(), by.user_id)
        if fault is not None:
            self._audit.record(by, "speaker.fault.seen", f"fault:{fault_id}", "ok", f"{fault.kind} {fault.subject}")
        return fault

    # --- internals -----------------------------------------------------------------------------------
    def _build(self, bulletin_id: str, body: BulletinBody, created_ms: int, by: str | None, now: int) -> Bulletin:
        extra: dict[str, object] = {}
        if body.sha256 is not None:
            medium = self.media.get(body.sha256)
            if medium is None:
                raise BulletinError("sha256", f"no medium {body.sha256[:12]}…: upload it first (POST /api/media)")
            extra = {"media_sha256": medium.sha256, "duration_ms": int(medium.duration_s * 1000)}
        else:
            speech, medium = self.speak(body.text or "")
            extra = {"spoken_text": speech.text, "note": speech.note_vi}
            if medium is not None:
                extra |= {"media_sha256": medium.sha256, "duration_ms": int(medium.duration_s * 1000)}
        if body.once_at is not None and body.once_at.timestamp() * 1000 < now - PAST_MS:
            raise BulletinError("once_at", "thời điểm đã qua — once_at is in the past")
        return Bulletin(id=bulletin_id, created_ms=created_ms, created_by=by, updated_ms=now,
                        **body.model_dump(), **extra)

    def _save(self, bulletin: Bulletin, speakers: frozenset[str]) -> None:
        self._table.put(bulletin)
        self._bulletins[bulletin.id] = bulletin
        self._targets[bulletin.id] = speakers
        self._dirty = True

    def _after_change(self, bulletin: Bulletin, now: int) -> None:
        """`set` play for what starts within the minute (an emergency: first, every millisecond counts), then
        the plans (retained) of every speaker, whose re-push of the same occurrence the speakers ignore."""
        if bulletin.status == "active" and bulletin.media_sha256:
            for o in expand([bulletin], now - PAST_MS, now + NOW_MS, self.tz):
                if o.start_ms >= now - PAST_MS and now <= o.until_ms:
                    self.sender.send(play_now(o, self.options.media_base_url, now), self.targets_of(bulletin.id), now)
        if self._bus.connected:
            self.push()
        self._events.publish(changed_event(bulletin))

    def _stop_gone(self, old: Bulletin, new: Bulletin, now: int) -> None:
        """Stop what the old version has playing or waiting now and the new one no longer plays there."""
        keep = {o.id for o in expand([new], now - PAST_MS, now + NOW_MS, self.tz)}
        for o in expand([old], now - PAST_MS, now + NOW_MS, self.tz):
            if o.id not in keep and now <= o.end_ms:
                self.sender.send(stop(o.id, now, max(o.until_ms, o.end_ms)),
                                 self.targets_of(old.id) or resolve_targets(self.site, old.targets, strict=False), now)

    def _on_ack(self, speaker: str, ack: SpeakerAck) -> None:
        self.sender.acked(speaker, ack.command_id, ack.ok, ack.error, self._clock())

    def _on_event(self, speaker: str, event: SpeakerEvent, now: int) -> None:
        if event.event in ("fault", "restored"):
            kind = "audio_path" if "audio" in (event.detail or "") else "amp_over_temp"
            self.faults.set(kind, speaker, event.event == "fault", now, {"event": event.detail})
            return
        self.asrun.on_event(speaker, event, self._planned_ms, now)

    def _planned_ms(self, occurrence_id: str) -> int | None:
        stamp = occurrence_id.rpartition("-")[2]
        try:
            return int(datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=self.tz).timestamp() * 1000)
        except ValueError:
            return None

    def _come_due(self, now: int) -> None:
        if now <= self._due_upto:
            return
        with self._lock:
            targets = dict(self._targets)
        found = [o for o in self.occurrences(self._due_upto, now + 1) if self._due_upto <= o.start_ms <= now]
        self._due_upto = now + 1
        items = [(o, s) for o in found for s in sorted(targets.get(o.bulletin.id, frozenset()))]
        self.asrun.due(items, now, lambda b: (self._bulletins[b].note or "không có âm thanh")
                       if b in self._bulletins and not self._bulletins[b].media_sha256 else None)


def _describe(b: Bulletin) -> str:
    when = b.once_at.isoformat() if b.once_at else f"{','.join(b.times or [])} {b.days.model_dump(exclude_none=True)}"
    return f"{b.title} [{b.priority}] {when} → {','.join(b.targets)}"
