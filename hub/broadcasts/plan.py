"""Bulletins -> occurrences -> what each speaker plays. Pure: plain data in, plain data out.

Priorities follow the Czech public-warning system (JSVV): P1 emergency pre-empts anything at once, P2
priority cuts routine at once, routine is first in, first out; equal rank never interrupts. A cut
occurrence resumes from the start of the repetition it was in as soon as nothing higher is due, if its
window (`until`) still allows, else it is missed. `programme` is that rule run forward on one speaker, the
same rule the speaker applies on its own (devices/speaker.py), so the hub's forecast and the as-run log
speak of the same thing.

At entry the hub refuses a clash: an overlap on a shared speaker with a bulletin the new one does not
outrank (409, naming it and its time). Quiet hours keep normal bulletins out of the night.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from hub.broadcasts.model import Bulletin
from hub.scheduling.calendar import day_facts, matches

DUPLICATE_MS = 60_000  # the same emergency sent again within a minute plays once


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One play of a bulletin (all its repetitions), the same on every speaker it targets."""

    bulletin: Bulletin
    id: str  # "{bulletin id}-{local yyyymmddHHMM}": the id speakers never play twice
    start_ms: int

    @property
    def end_ms(self) -> int:
        return self.start_ms + span_ms(self.bulletin)

    @property
    def until_ms(self) -> int:
        return self.start_ms + self.bulletin.window_min * 60_000

    @property
    def order(self) -> tuple[int, int, int, str]:
        """Who goes first among the due: the higher rank, then the earlier start, then the earlier made."""
        return (-self.bulletin.rank, self.start_ms, self.bulletin.created_ms, self.id)


def span_ms(b: Bulletin) -> int:
    return b.repeat * b.duration_ms + (b.repeat - 1) * b.gap_s * 1000


def expand(bulletins: Iterable[Bulletin], start_ms: int, end_ms: int, tz: ZoneInfo) -> list[Occurrence]:
    """Every occurrence of the active bulletins that is still playing or starts in [start_ms, end_ms)."""
    found: list[Occurrence] = []
    for b in bulletins:
        if b.status != "active":
            continue
        found += [o for o in _starts(b, start_ms, end_ms, tz) if o.end_ms > start_ms and o.start_ms < end_ms]
    return sorted(found, key=lambda o: (o.start_ms, o.order))


def _starts(b: Bulletin, start_ms: int, end_ms: int, tz: ZoneInfo) -> list[Occurrence]:
    if b.once_at is not None:
        at = int(b.once_at.timestamp() * 1000)
        return [Occurrence(b, _occurrence_id(b, at, tz), at)]
    first = _local(start_ms - span_ms(b), tz).date()
    out = []
    for i in range((_local(end_ms, tz).date() - first).days + 1):
        day = first + timedelta(days=i)
        if matches(b.days, day_facts(day)):
            for hhmm in b.times or ():
                at = _at(day, hhmm, tz)
                out.append(Occurrence(b, _occurrence_id(b, at, tz), at))
    return out


def _occurrence_id(b: Bulletin, at_ms: int, tz: ZoneInfo) -> str:
    return f"{b.id}-{_local(at_ms, tz):%Y%m%d%H%M}"


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: str = "22:00"  # local "HH:MM"; the night may run over midnight; start == end: no quiet hours
    end: str = "05:30"

    def overlaps(self, start_ms: int, end_ms: int, tz: ZoneInfo) -> bool:
        if self.start == self.end:
            return False
        day = _local(start_ms, tz).date() - timedelta(days=1)
        while _at(day, self.start, tz) < end_ms:
            q_start = _at(day, self.start, tz)
            q_end = _at(day + timedelta(days=1) if self.end <= self.start else day, self.end, tz)
            if q_start < end_ms and start_ms < q_end:
                return True
            day += timedelta(days=1)
        return False


def quiet_breaches(occurrences: Iterable[Occurrence], quiet: QuietHours, tz: ZoneInfo) -> list[Occurrence]:
    """The normal occurrences that would sound in quiet hours (priority and emergency may)."""
    return [o for o in occurrences if o.bulletin.priority == "normal" and quiet.overlaps(o.start_ms, o.end_ms, tz)]


@dataclass(frozen=True, slots=True)
class Clash:
    other: Bulletin
    at_ms: int  # when the other one's occurrence starts
    speaker: str


def clashes(new: Bulletin, speakers_of: Mapping[str, frozenset[str]], existing: Sequence[Bulletin],
            start_ms: int, end_ms: int, tz: ZoneInfo) -> list[Clash]:
    """Overlaps of `new` on a speaker it shares with a bulletin it does not outrank, earliest first."""
    mine = speakers_of[new.id]
    others = [b for b in existing if b.id != new.id and b.status == "active" and speakers_of[b.id] & mine]
    theirs = expand(others, start_ms, end_ms, tz)  # sorted by start
    starts = [t.start_ms for t in theirs]
    longest = max((t.end_ms - t.start_ms for t in theirs), default=0)
    found: list[Clash] = []
    for o in expand([new], start_ms, end_ms, tz):
        # only those starting before o ends and at most `longest` before o starts can overlap it
        for t in theirs[bisect_left(starts, o.start_ms - longest):bisect_left(starts, o.end_ms)]:
            if o.start_ms < t.end_ms and new.rank <= t.bulletin.rank:
                found.append(Clash(t.bulletin, t.start_ms, min(speakers_of[t.bulletin.id] & mine)))
    return sorted(found, key=lambda c: c.at_ms)


def duplicate_emergency(new: Bulletin, speakers: frozenset[str], recent: Iterable[tuple[Bulletin, frozenset[str]]],
                        now_ms: int) -> Bulletin | None:
    """An emergency with the same content and speakers made within the last minute: play that one once."""
    if new.priority != "emergency":
        return None
    for b, theirs in recent:
        if (b.priority == "emergency" and b.status == "active" and now_ms - b.created_ms < DUPLICATE_MS
                and b.content_key == new.content_key and theirs == speakers):
            return b
    return None


Outcome = Literal["plays", "interrupted", "missed"]


@dataclass(frozen=True, slots=True)
class Slot:
    occurrence: Occurrence
    start_ms: int
    end_ms: int
    outcome: Outcome
    by: str | None = None  # interrupted or held back by this bulletin
    resumed: bool = False


@dataclass(slots=True)
class _Run:
    occ: Occurrence
    began: int
    rep: int  # the repetition it (re)started from
    resumed: bool

    @property
    def end(self) -> int:
        b = self.occ.bulletin
        left = b.repeat - self.rep
        return self.began + left * b.duration_ms + (left - 1) * b.gap_s * 1000


def programme(occurrences: Iterable[Occurrence]) -> list[Slot]:
    """What one speaker plays of these occurrences, in time order, with each interruption and miss."""
    arrivals = sorted(occurrences, key=lambda o: (o.start_ms, o.order))
    waiting: list[tuple[Occurrence, int, bool]] = []  # (occurrence, repetition to start from, resumed)
    slots: list[Slot] = []
    run: _Run | None = None
    i = 0
    while i < len(arrivals) or waiting or run:
        now = min(arrivals[i].start_ms if i < len(arrivals) else 2**62, run.end if run else 2**62)
        if run is not None and run.end <= now:
            slots.append(Slot(run.occ, run.began, run.end, "plays", resumed=run.resumed))
            run = None
        while i < len(arrivals) and arrivals[i].start_ms <= now:
            waiting.append((arrivals[i], 0, False))
            i += 1
        waiting.sort(key=lambda w: w[0].order)
        if run is not None and waiting and waiting[0][0].bulletin.rank > run.occ.bulletin.rank:
            slots.append(Slot(run.occ, run.began, now, "interrupted", by=waiting[0][0].bulletin.id))
            waiting.append((run.occ, run.rep + _reps_done(run, now), True))
            waiting.sort(key=lambda w: w[0].order)
            run = None
        if run is None:
            run = _next(waiting, now, slots)
    return slots


def _next(waiting: list[tuple[Occurrence, int, bool]], now: int, slots: list[Slot]) -> _Run | None:
    held_by = slots[-1].occurrence.bulletin.id if slots else None
    while waiting:
        occ, rep, resumed = waiting.pop(0)
        if now <= occ.until_ms:
            return _Run(occ, now, rep, resumed)
        slots.append(Slot(occ, now, now, "missed", by=held_by))
    return None


def _reps_done(run: _Run, now: int) -> int:
    b = run.occ.bulletin
    cycle = b.duration_ms + b.gap_s * 1000
    whole, into = divmod(now - run.began, cycle)
    return int(whole) + (1 if into >= b.duration_ms else 0)


def per_speaker(occurrences: Iterable[Occurrence],
                speakers_of: Mapping[str, frozenset[str]]) -> dict[str, list[Occurrence]]:
    out: dict[str, list[Occurrence]] = {}
    for o in occurrences:
        for speaker in sorted(speakers_of.get(o.bulletin.id, frozenset())):
            out.setdefault(speaker, []).append(o)
    return out


def _local(ms: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz)


def _at(day: date, hhmm: str, tz: ZoneInfo) -> int:
    h, m = (int(x) for x in hhmm.split(":"))
    return int(datetime.combine(day, time(h, m), tz).timestamp() * 1000)
