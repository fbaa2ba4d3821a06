"""The as-run log as it happens: planned rows for every occurrence that comes due on each speaker it targets,
moved on by the speakers' events (`at_ms`: when it happened on the speaker), dead air flagged when a
bulletin that should be playing is not reported started within 10 s, and the delivery roll-up
("4/4 loa đang phát") told to the app as it changes.

Open runs live in memory (the last few hours) and are written to the table in one batch per tick.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from devices.speaker import SpeakerEvent
from hub.broadcasts.delivery import OUTCOMES, TERMINAL, dead_air, on_event, planned_runs
from hub.broadcasts.plan import Occurrence
from hub.broadcasts.store import Run, RunLog

KEEP_OPEN_MS = 6 * 3_600_000  # open runs older than this leave memory (the table keeps them)


class AsRun:
    def __init__(self, log: RunLog, announce: Callable[[str, str, list[Run]], None]) -> None:
        self._log = log
        self._announce = announce  # (bulletin id, occurrence id, its runs) whenever one of them changes
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, str], Run] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._changed: set[tuple[str, str]] = set()  # occurrences whose roll-up changed: (bulletin, occurrence)
        self.expected: list[tuple[str, str, int]] = []  # (occurrence, speaker, start by the programme)

    def due(self, items: Iterable[tuple[Occurrence, str]], now_ms: int, text_only_note: Callable[[str], str | None]
            ) -> None:
        """Planned rows for occurrences that came due; a bulletin with no medium is logged failed at once."""
        fresh = []
        with self._lock:
            for run in planned_runs(items, now_ms):
                key = (run.occurrence_id, run.speaker)
                if key in self._runs:
                    continue
                stored = self._log.get(*key)
                if stored is None:
                    note = text_only_note(run.bulletin_id)
                    stored = replace(run, outcome="failed", detail=note) if note else run
                    fresh.append(stored)
                self._runs[key] = stored
                self._changed.add((run.bulletin_id, run.occurrence_id))
        if fresh:
            self._log.plan(fresh)

    def on_event(self, speaker: str, event: SpeakerEvent, planned_ms: Callable[[str], int | None], now_ms: int
                 ) -> None:
        if event.occurrence_id is None or event.bulletin_id is None:
            return
        key = (event.occurrence_id, speaker)
        with self._lock:
            run = self._runs.get(key) or self._log.get(*key)
            if run is None:  # the speaker reported before the hub's tick planned it (a `set` play)
                at = event.at_ms if event.at_ms is not None else event.ts
                run = Run(event.occurrence_id, speaker, event.bulletin_id, planned_ms(event.occurrence_id) or at,
                          "planned", updated_ms=now_ms)
            moved = on_event(run, event, now_ms)
            if moved != run or key not in self._runs:
                self._runs[key] = moved
                self._dirty.add(key)
                self._changed.add((moved.bulletin_id, moved.occurrence_id))

    def tick(self, now_ms: int) -> None:
        with self._lock:
            for run in dead_air(self.expected, self._runs, now_ms):
                key = (run.occurrence_id, run.speaker)
                self._runs[key] = run
                self._dirty.add(key)
                self._changed.add((run.bulletin_id, run.occurrence_id))
            dirty = [self._runs[k] for k in self._dirty if k in self._runs]
            self._dirty.clear()
            changed = sorted(self._changed)
            self._changed.clear()
            rollups = [(b, o, [r for (occ, _), r in self._runs.items() if occ == o]) for b, o in changed]
            for key, run in list(self._runs.items()):
                if run.outcome in TERMINAL and now_ms - run.planned_ms > KEEP_OPEN_MS:
                    del self._runs[key]
        if dirty:
            self._log.save(dirty)
        for bulletin_id, occurrence_id, runs in rollups:
            self._announce(bulletin_id, occurrence_id, runs)

    def open_runs(self, occurrence_id: str) -> list[Run]:
        with self._lock:
            return [r for (occ, _), r in self._runs.items() if occ == occurrence_id]


def rollup(runs: Sequence[Run]) -> dict[str, object]:
    """"4/4 loa đang phát", or how it ended: counts by outcome and one line in each language."""
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.outcome] = counts.get(run.outcome, 0) + 1
    total = len(runs)
    parts_vi = [f"{n}/{total} loa {OUTCOMES[k][0].lower()}" for k, n in sorted(counts.items())]
    parts_en = [f"{n}/{total} speakers {OUTCOMES[k][1].lower()}" for k, n in sorted(counts.items())]
    return {"total": total, "counts": counts, "vi": ", ".join(parts_vi), "en": ", ".join(parts_en),
            "done": all(r.outcome in TERMINAL for r in runs)}
