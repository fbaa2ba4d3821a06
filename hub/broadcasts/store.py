"""The broadcasts' tables in the hub state DB: bulletins, the as-run log (one row per occurrence per speaker:
planned, then what the speaker reported), and speaker faults. Callers run these off the event loop."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.broadcasts.model import Bulletin
from hub.faulttable import FaultRows, detail_of
from hub.statedb import Migration, StateDB

MIGRATIONS = (
    Migration("broadcasts-001-bulletins", """
        CREATE TABLE broadcast_bulletins (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            body TEXT NOT NULL
        );
    """),
    Migration("broadcasts-002-runs", """
        CREATE TABLE broadcast_runs (
            occurrence_id TEXT NOT NULL,
            speaker TEXT NOT NULL,
            bulletin_id TEXT NOT NULL,
            planned_ms INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            started_ms INTEGER,
            ended_ms INTEGER,
            interruptions INTEGER NOT NULL DEFAULT 0,
            detail TEXT,
            updated_ms INTEGER NOT NULL,
            PRIMARY KEY (occurrence_id, speaker)
        );
        CREATE INDEX broadcast_runs_planned ON broadcast_runs(planned_ms);
    """),
    Migration("broadcasts-003-faults", """
        CREATE TABLE speaker_faults (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            opened_ms INTEGER NOT NULL,
            seen_ms INTEGER,
            seen_by INTEGER,
            closed_ms INTEGER,
            detail TEXT
        );
        CREATE UNIQUE INDEX speaker_faults_open ON speaker_faults(kind, subject) WHERE closed_ms IS NULL;
    """),
)


class BulletinTable:
    def __init__(self, db: StateDB) -> None:
        self._db = db

    def put(self, b: Bulletin) -> None:
        self._db.execute("INSERT OR REPLACE INTO broadcast_bulletins (id, status, created_ms, body) VALUES (?,?,?,?)",
                         (b.id, b.status, b.created_ms, b.model_dump_json()))

    def get(self, bulletin_id: str) -> Bulletin | None:
        row = self._db.fetchone("SELECT body FROM broadcast_bulletins WHERE id = ?", (bulletin_id,))
        return Bulletin.model_validate_json(row["body"]) if row is not None else None

    def all(self) -> list[Bulletin]:
        rows = self._db.fetchall("SELECT body FROM broadcast_bulletins ORDER BY created_ms, id")
        return [Bulletin.model_validate_json(r["body"]) for r in rows]


@dataclass(frozen=True, slots=True)
class Run:
    """One occurrence on one speaker: what was planned and what the speaker said happened."""

    occurrence_id: str
    speaker: str
    bulletin_id: str
    planned_ms: int
    outcome: str  # planned, started, finished, interrupted, failed, missed, stopped, no_report
    started_ms: int | None = None
    ended_ms: int | None = None
    interruptions: int = 0
    detail: str | None = None
    updated_ms: int = 0


RUN_COLUMNS = ("occurrence_id, speaker, bulletin_id, planned_ms, outcome, started_ms, ended_ms, interruptions, "
               "detail, updated_ms")


class RunLog:
    def __init__(self, db: StateDB) -> None:
        self._db = db

    def plan(self, runs: Sequence[Run]) -> None:
        """Rows for occurrences now due; an existing row (the speaker may have reported first) is kept."""
        with self._db.transaction() as conn:
            conn.executemany(f"INSERT OR IGNORE INTO broadcast_runs ({RUN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                             [_row(r) for r in runs])

    def save(self, runs: Sequence[Run]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(f"INSERT OR REPLACE INTO broadcast_runs ({RUN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                             [_row(r) for r in runs])

    def get(self, occurrence_id: str, speaker: str) -> Run | None:
        row = self._db.fetchone(f"SELECT {RUN_COLUMNS} FROM broadcast_runs WHERE occurrence_id = ? AND speaker = ?",
                                (occurrence_id, speaker))
        return Run(*row) if row is not None else None

    def between(self, since_ms: int, until_ms: int, bulletin_id: str | None = None, limit: int = 10_000) -> list[Run]:
        where, params = "planned_ms >= ? AND planned_ms < ?", [since_ms, until_ms]
        params_: list[object] = list(params)
        if bulletin_id is not None:
            where, params_ = where + " AND bulletin_id = ?", [*params_, bulletin_id]
        rows = self._db.fetchall(f"SELECT {RUN_COLUMNS} FROM broadcast_runs WHERE {where} "
                                 "ORDER BY planned_ms, occurrence_id, speaker LIMIT ?", (*params_, limit))
        return [Run(*r) for r in rows]


def _row(r: Run) -> tuple[Any, ...]:
    return (r.occurrence_id, r.speaker, r.bulletin_id, r.planned_ms, r.outcome, r.started_ms, r.ended_ms,
            r.interruptions, r.detail, r.updated_ms)


@dataclass(frozen=True, slots=True)
class SpeakerFault:
    id: int
    kind: str
    subject: str
    opened_ms: int
    seen_ms: int | None
    seen_by: int | None
    closed_ms: int | None
    detail: dict[str, Any]


class FaultTable(FaultRows[SpeakerFault]):
    """The speakers' faults (speaker_faults; see hub/faulttable.py)."""

    def __init__(self, db: StateDB) -> None:
        super().__init__(db, "speaker_faults", _fault)


def _fault(row: sqlite3.Row) -> SpeakerFault:
    return SpeakerFault(row["id"], row["kind"], row["subject"], row["opened_ms"], row["seen_ms"], row["seen_by"],
                        row["closed_ms"], detail_of(row))
