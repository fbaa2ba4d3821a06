"""What a loudspeaker plays when, as pure data: its occurrences, priorities, interruptions and windows.

Rules (docs/mqtt-contract.md, "Loudspeaker"), modelled on the Czech warning system's: a higher priority that
becomes due cuts what plays at once (the cut one is `interrupted`, waits, and `resumed` from the start of the
repetition it was in, if its window still allows); equal priorities never cut each other (first in, first out);
nothing normal ever plays over an emergency. Each occurrence ends exactly once (finished, failed, missed or
stopped) and an occurrence id that has ended is never played again, whatever is re-pushed or re-sent.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from devices.messages import Priority
from devices.speaker import PlanEntry
from simulators.commands import Emit
from simulators.speaker_media import MediaStore

RANK: Final[dict[Priority, int]] = {"normal": 0, "priority": 1, "emergency": 2}
REMEMBER: Final = 4096  # ended occurrences kept for de-duplication: weeks of a hamlet's bulletins


@dataclass
class Occurrence:
    entry: PlanEntry
    url: str
    command_id: str | None = None  # set by a `set` play, echoed in its events
    began: bool = False  # `started` has been reported: a later start is a `resumed`
    interrupted: bool = False  # cut by a higher priority (or a power loss), waiting to resume
    rep: int = 0  # the repetition playing (0-based)
    in_gap: bool = False
    phase_end_ms: int = 0  # end of the repetition, or of the gap, under way
    run_from_ms: int = 0  # when the current run began, and where in the occurrence it began
    run_offset_ms: int = 0

    @property
    def id(self) -> str:
        return self.entry.occurrence_id

    @property
    def rank(self) -> int:
        return RANK[self.entry.priority]

    def position(self, now_ms: int) -> int:
        return min(self.run_offset_ms + max(now_ms - self.run_from_ms, 0), self.entry.length_ms)


class Player:
    def __init__(self, media: MediaStore) -> None:
        self.media = media
        self.current: Occurrence | None = None
        self.pending: dict[str, Occurrence] = {}
        self.done: OrderedDict[str, str] = OrderedDict()  # occurrence id -> how it ended
        self.blocked: str | None = None  # a hardware fault every start fails with (amp_fault...)
        self.off_since: int | None = None  # powered off since: what fell due then was missed

    # --- what comes in -----------------------------------------------------------------------------
    def plan(self, entries: Iterable[PlanEntry], url_of: Callable[[PlanEntry], str], now_ms: int) -> list[Emit]:
        """A new retained plan replaces the planned occurrences; what has begun or ended is kept as it is."""
        listed: set[str] = set()
        for entry in entries:
            listed.add(entry.occurrence_id)
            known = self.pending.get(entry.occurrence_id)
            if self._seen(entry.occurrence_id) and (known is None or known.began):
                continue  # ended, playing or part-played: a re-push changes nothing
            if known is None and entry.latest_start_ms < now_ms:
                continue  # its window closed before this speaker heard of it: nothing it could have done
            self.pending[entry.occurrence_id] = Occurrence(entry, url_of(entry))
        events: list[Emit] = []
        for gone in [o for o in self.pending.values() if o.command_id is None and o.id not in listed]:
            del self.pending[gone.id]  # the hub took it out of the plan
            if gone.began:
                events.append(self._end(gone, "stopped", now_ms, detail="removed from the plan"))
        return events + self.step(now_ms)

    def play(self, entry: PlanEntry, url: str, command_id: str, now_ms: int) -> tuple[str | None, list[Emit]]:
        """A `set` play: (refusal or None, events)."""
        if entry.occurrence_id in self.done:
            return f"already played: {self.done[entry.occurrence_id]}", []
        if not self._seen(entry.occurrence_id):
            self.pending[entry.occurrence_id] = Occurrence(entry, url, command_id=command_id)
        return None, self.step(now_ms)

    def stop(self, occurrence_id: str | None, now_ms: int) -> list[Emit]:
        cur = self.current
        if cur is not None and occurrence_id in (None, cur.id):
            self.current = None
            return [self._end(cur, "stopped", now_ms, detail="stop command"), *self.step(now_ms)]
        waiting = self.pending.pop(occurrence_id, None) if occurrence_id is not None else None
        return [] if waiting is None else [self._end(waiting, "stopped", now_ms, detail="stop command")]

    def fail_current(self, reason: str, now_ms: int) -> list[Emit]:
        cur, self.current = self.current, None
        return [] if cur is None else [self._end(cur, "failed", now_ms, detail=reason)]

    def power_lost(self, now_ms: int) -> list[Emit]:
        self.off_since = now_ms
        cur, self.current = self.current, None
        if cur is None:
            return []
        return [self._interrupt(cur, now_ms, "power lost")]

    def power_restored(self, now_ms: int) -> list[Emit]:
        events = self.step(now_ms)
        self.off_since = None
        return events

    # --- time --------------------------------------------------------------------------------------
    def step(self, now_ms: int) -> list[Emit]:
        events = self._advance(now_ms)
        events += self._close_windows(now_ms)
        events += self._choose(now_ms)
        return events

    def next_deadline(self, now_ms: int) -> int | None:
        times = [self.current.phase_end_ms] if self.current is not None else []
        for occ in self.pending.values():
            times.append(occ.entry.start_ms if occ.entry.start_ms > now_ms else occ.entry.latest_start_ms + 1)
        return min(times, default=None)

    def needs(self) -> dict[str, str]:
        """sha256 -> url of the media the plan still needs."""
        return {o.entry.sha256: o.url for o in self.live() if not self.media.has(o.entry.sha256)}

    def live(self) -> list[Occurrence]:
        return [*self.pending.values(), *([self.current] if self.current is not None else [])]

    def _seen(self, occurrence_id: str) -> bool:
        playing = self.current is not None and self.current.id == occurrence_id
        return playing or occurrence_id in self.pending or occurrence_id in self.done

    def _advance(self, now_ms: int) -> list[Emit]:
        """Finish the repetitions and gaps of what plays, at the times they ended (the clock may jump)."""
        cur = self.current
        while cur is not None and cur.phase_end_ms <= now_ms:
            if cur.in_gap:
                cur.in_gap, cur.phase_end_ms = False, cur.phase_end_ms + cur.entry.duration_ms
            elif cur.rep + 1 >= cur.entry.repeat:
                self.current = None
                return [self._end(cur, "finished", cur.phase_end_ms)]
            else:
                cur.rep += 1
                cur.in_gap, cur.phase_end_ms = True, cur.phase_end_ms + cur.entry.gap_s * 1000
        return []

    def _close_windows(self, now_ms: int) -> list[Emit]:
        events: list[Emit] = []
        for occ in list(self.pending.values()):
            entry = occ.entry
            if now_ms > entry.latest_start_ms:
                why = self._why_not_started(occ)
                outcome = "failed" if why.startswith("media_unavailable") else "missed"
                events.append(self._end(self.pending.pop(occ.id), outcome, now_ms, detail=why))
            elif (entry.start_ms <= now_ms and not occ.began and not self.media.has(entry.sha256)
                  and entry.sha256 in self.media.errors and entry.sha256 not in self.media.inflight):
                # Due and its medium refused or unreachable: dead air now, so say so now, not at the window's end.
                detail = f"media_unavailable: {self.media.why_missing(entry.sha256)}"
                events.append(self._end(self.pending.pop(occ.id), "failed", now_ms, detail=detail))
        return events

    def _why_not_started(self, occ: Occurrence) -> str:
        if occ.interrupted:
            return "not resumed: window closed"
        if self.off_since is not None and occ.entry.start_ms >= self.off_since:
            return "offline at start time"
        if not self.media.has(occ.entry.sha256):
            return f"media_unavailable: {self.media.why_missing(occ.entry.sha256)}"
        cur = self.current
        if cur is not None:
            return f"window closed while {cur.entry.priority} {cur.entry.bulletin_id} played"
        return "window closed"

    def _choose(self, now_ms: int) -> list[Emit]:
        due = sorted((o for o in self.pending.values()
                      if o.entry.start_ms <= now_ms and self.media.has(o.entry.sha256)),
                     key=lambda o: (-o.rank, o.entry.start_ms, o.id))
        if not due or (self.current is not None and due[0].rank <= self.current.rank):
            return []
        if self.blocked is not None:  # the hardware cannot play: every start that falls due fails
            return [self._end(self.pending.pop(o.id), "failed", now_ms, detail=self.blocked) for o in due]
        best = self.pending.pop(due[0].id)
        events = []
        if self.current is not None:
            cut, self.current = self.current, None
            events.append(self._interrupt(cut, now_ms, f"by {best.entry.priority} {best.entry.bulletin_id}"))
        events.append(self._emit("resumed" if best.began else "started", best, now_ms))
        best.began, best.interrupted, best.in_gap = True, False, False
        best.run_from_ms, best.run_offset_ms = now_ms, best.rep * (best.entry.duration_ms + best.entry.gap_s * 1000)
        best.phase_end_ms = now_ms + best.entry.duration_ms  # a resume replays the whole repetition it was in
        self.current = best
        return events

    def _interrupt(self, occ: Occurrence, now_ms: int, why: str) -> Emit:
        cut = self._emit("interrupted", occ, now_ms, position_ms=occ.position(now_ms), detail=why)
        occ.interrupted = True
        self.pending[occ.id] = occ
        return cut

    def _end(self, occ: Occurrence, how: str, at_ms: int, **fields: object) -> Emit:
        self.done[occ.id] = how
        while len(self.done) > REMEMBER:
            self.done.popitem(last=False)
        return self._emit(how, occ, at_ms, **fields)

    @staticmethod
    def _emit(event: str, occ: Occurrence, at_ms: int, **fields: object) -> Emit:
        ids = {"bulletin_id": occ.entry.bulletin_id, "occurrence_id": occ.id, "at_ms": at_ms}
        if occ.command_id is not None:
            ids["command_id"] = occ.command_id
        return Emit(event, {**ids, **fields})
