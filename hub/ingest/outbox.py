"""The durable outbox: SQLite in WAL mode. A message is acknowledged to the broker only after its point
(or its dead letter) is committed here; writers delete rows only after the store confirmed them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic_core import from_json, to_json

from hub.storage.base import Point

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL, site TEXT NOT NULL, device TEXT NOT NULL, grp TEXT NOT NULL,
    ts INTEGER NOT NULL, fields TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
    reason TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_reason ON dead_letters(reason);
"""
# A dead letter keeps enough of the payload to diagnose it without letting a flood fill the disk.
DEAD_PAYLOAD_CAP = 2048


@dataclass(frozen=True, slots=True)
class DeadLetter:
    received_ms: int
    topic: str
    payload: bytes
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class StoredDeadLetter(DeadLetter):
    id: int


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash can lose the last commits.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def commit(self, points: Sequence[Point], dead: Sequence[DeadLetter]) -> None:
        """Keep a batch in one transaction: after this returns the batch survives a crash."""
        rows = [(p.measurement, p.site, p.device, p.group, p.ts_ms, to_json(p.fields).decode()) for p in points]
        letters = [(d.received_ms, d.topic, d.payload[:DEAD_PAYLOAD_CAP], d.reason, d.detail) for d in dead]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO outbox(measurement, site, device, grp, ts, fields) VALUES (?,?,?,?,?,?)", rows
                )
                self._db.executemany(
                    "INSERT INTO dead_letters(received_ms, topic, payload, reason, detail) VALUES (?,?,?,?,?)",
                    letters,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def take(self, limit: int) -> tuple[int, list[Point]]:
        """The oldest `limit` points and the highest row id among them (0 when empty)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, measurement, site, device, grp, ts, fields FROM outbox ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        if not rows:
            return 0, []
        # pydantic-core's JSON codec is several times faster than the json module on these small objects.
        points = [Point(m, s, d, g, ts, from_json(f)) for _, m, s, d, g, ts, f in rows]
        return int(rows[-1][0]), points

    def batch_end(self, limit: int) -> tuple[int, int]:
        """(highest id, row count) of the oldest `limit` rows; (0, 0) when empty."""
        with self._lock:
            last, count = self._db.execute(
                "SELECT max(id), count(*) FROM (SELECT id FROM outbox ORDER BY id LIMIT ?)", (limit,)
            ).fetchone()
        return int(last or 0), int(count)

    def delete_upto(self, last_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE id <= ?", (last_id,))

    def depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def dead_letters(self, limit: int = 100, reason: str | None = None) -> list[StoredDeadLetter]:
        where, args = ("WHERE reason = ?", (reason,)) if reason else ("", ())
        with self._lock:
            rows = self._db.execute(
                f"SELECT received_ms, topic, payload, reason, detail, id FROM dead_letters {where} "
                "ORDER BY id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [StoredDeadLetter(r[0], r[1], bytes(r[2]), r[3], r[4], r[5]) for r in rows]

    def dead_letter_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT reason, count(*) FROM dead_letters GROUP BY reason").fetchall()
        return {str(reason): int(count) for reason, count in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()
