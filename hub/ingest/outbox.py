"""The durable outbox: SQLite in WAL mode. A message is acknowledged to the broker only after its point
(or its dead letter) is committed here; writers delete rows only after the store confirmed them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic_core import from_json, to_json

from hub.storage.base import Point

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL, site TEXT NOT NULL, device TEXT NOT NULL, grp TEXT NOT NULL,
    ts INTEGER NOT NULL, fields TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
    reason TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_reason ON dead_letters(reason);
-- Per-device offsets for replaced clocks, committed with the batch that used them: a message committed
-- but not acknowledged before a crash comes back after the restart and gets the same time, so the same key.
CREATE TABLE IF NOT EXISTS clock_offsets (device TEXT PRIMARY KEY, offset_ms INTEGER NOT NULL) WITHOUT ROWID;
"""
# An outbox from before seq joined the key: the column is added and filled from the fields it was in.
ADD_SEQ = """
ALTER TABLE outbox ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET seq = coalesce(json_extract(fields, '$.seq'), 0);
"""


@dataclass(frozen=True, slots=True)
class DeadLetterLimits:
    """A flood of bad messages must not fill the disk: every part of a letter is cut, the table is capped
    (the oldest go first) and letters older than the retention are pruned (see Outbox.prune_dead_letters)."""

    payload_bytes: int = 2048  # enough of the payload to diagnose it
    topic_chars: int = 256
    detail_chars: int = 300
    rows: int = 10_000  # so at most ~26 MB of dead letters, whatever the flood
    retention_ms: int = 7 * 86_400_000


def cut(text: str, limit: int) -> str:
    """`text` if it fits, else its start and how much was cut: never a huge id or topic repeated whole.
    A limit shorter than the note keeps the note alone (the caps are hundreds of characters)."""
    if len(text) <= limit:
        return text
    # The note counts the characters really cut, so its room is sized for the longest count it could need.
    keep = max(0, limit - len(f"… (+{len(text)} chars)"))
    return f"{text[:keep]}… (+{len(text) - keep} chars)"


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
    def __init__(self, path: Path, limits: DeadLetterLimits = DeadLetterLimits()) -> None:
        self.path = path
        self.limits = limits
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash can lose the last commits.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        if "seq" not in {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}:
            self._db.executescript(f"BEGIN IMMEDIATE; {ADD_SEQ} COMMIT;")
        # Counts kept beside the tables so /healthz and /metrics never query for them.
        self._depth = self._count("outbox")
        self._dead_rows = self._count("dead_letters")

    def _count(self, table: str) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def commit(
        self, points: Sequence[Point], dead: Sequence[DeadLetter], offsets: Mapping[str, int] | None = None
    ) -> int:
        """Keep a batch in one transaction: after this returns the batch survives a crash. `offsets` are
        the clock offsets the batch set (kept with it). Returns how many old dead letters the cap pruned."""
        rows = [
            (p.measurement, p.site, p.device, p.group, p.ts_ms, to_json(p.fields).decode(), p.seq) for p in points
        ]
        lim = self.limits
        letters = [
            (
                d.received_ms,
                cut(d.topic, lim.topic_chars),
                d.payload[: lim.payload_bytes],
                d.reason,
                cut(d.detail, lim.detail_chars),
            )
            for d in dead
        ]
        with self._lock:
            over = self._dead_rows + len(letters) - lim.rows
            # Prune in steps of a tenth of the cap, so a flood pays for one DELETE per thousand letters.
            pruned = over + lim.rows // 10 if over > 0 else 0
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO outbox(measurement, site, device, grp, ts, fields, seq) VALUES (?,?,?,?,?,?,?)",
                    rows,
                )
                self._db.executemany(
                    "INSERT INTO dead_letters(received_ms, topic, payload, reason, detail) VALUES (?,?,?,?,?)",
                    letters,
                )
                if pruned:
                    pruned = self._db.execute(
                        "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters ORDER BY id LIMIT ?)",
                        (pruned,),
                    ).rowcount
                if offsets:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO clock_offsets(device, offset_ms) VALUES (?, ?)", offsets.items()
                    )
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite rolls back by itself on some errors (SQLITE_FULL: disk full); a second ROLLBACK
                # would raise and hide the real error.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._depth += len(rows)
            self._dead_rows += len(letters) - pruned
        return pruned

    def clock_offsets(self) -> dict[str, int]:
        """The committed per-device clock offsets (ms to add to a replaced device clock)."""
        with self._lock:
            return {str(d): int(o) for d, o in self._db.execute("SELECT device, offset_ms FROM clock_offsets")}

    def prune_dead_letters(self, now_ms: int) -> int:
        """Delete dead letters past the retention; returns how many."""
        with self._lock:
            gone = self._db.execute(
                "DELETE FROM dead_letters WHERE received_ms < ?", (now_ms - self.limits.retention_ms,)
            ).rowcount
            self._dead_rows -= gone
        return int(gone)

    def take(self, limit: int, after: int = 0) -> tuple[int, list[Point]]:
        """The oldest `limit` points with a row id above `after` (the writer reads the next batch while the
        last one is still in flight) and the highest row id among them (0 when empty)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, measurement, site, device, grp, ts, fields, seq FROM outbox WHERE id > ? "
                "ORDER BY id LIMIT ?",
                (after, limit),
            ).fetchall()
        if not rows:
            return 0, []
        last = int(rows[-1][0])
        # pydantic-core's JSON codec is several times faster than the json module on these small objects.
        # Each row is replaced by its point in place: the rows and the points of a 5,000-point batch are
        # never all in memory at once (the hub's peak memory is taken while the writer drains a backlog).
        points: list[Point] = rows
        for i, (_, m, s, d, g, ts, f, seq) in enumerate(rows):
            points[i] = Point(m, s, d, g, ts, from_json(f), seq)
        return last, points

    def batch_end(self, limit: int) -> tuple[int, int]:
        """(highest id, row count) of the oldest `limit` rows; (0, 0) when empty."""
        with self._lock:
            last, count = self._db.execute(
                "SELECT max(id), count(*) FROM (SELECT id FROM outbox ORDER BY id LIMIT ?)", (limit,)
            ).fetchone()
        return int(last or 0), int(count)

    def delete_upto(self, last_id: int) -> None:
        with self._lock:
            self._depth -= self._db.execute("DELETE FROM outbox WHERE id <= ?", (last_id,)).rowcount

    def depth(self) -> int:
        """Points waiting for the store (a kept count: no query, so cheap enough for every health poll)."""
        return self._depth

    def dead_letter_rows(self) -> int:
        return self._dead_rows

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
