"""The embedded default telemetry store: one SQLite file in WAL mode, zero setup.

One row per point, fields as a JSON object. The primary key holds the interface's key (measurement, site,
device, group, ts, seq: hub/storage/schema.py) ordered (measurement, device, ts, seq, ...) so a query for one
device's time range is a range scan of the key itself, with no second index to slow the writes down.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hub.storage.base import Bucket, Point
from hub.storage.names import check_field, check_window

SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    measurement TEXT NOT NULL,
    device TEXT NOT NULL,
    ts INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    site TEXT NOT NULL,
    grp TEXT NOT NULL,
    fields TEXT NOT NULL,
    PRIMARY KEY (measurement, device, ts, seq, site, grp)
) WITHOUT ROWID
"""

# A file from before seq joined the key: rebuild the table once (a WITHOUT ROWID key cannot be altered).
MIGRATE_TO_SEQ_KEY = f"""
ALTER TABLE points RENAME TO points_before_seq;
{SCHEMA.strip()};
INSERT INTO points (measurement, device, ts, seq, site, grp, fields)
SELECT measurement, device, ts, coalesce(json_extract(fields, '$.seq'), 0), site, grp, fields
FROM points_before_seq;
DROP TABLE points_before_seq;
"""

# A replay overwrites. Fields of a second point at the same key are merged into the first, as InfluxDB
# does, so the three stores answer the same after the same writes.
UPSERT = """
INSERT INTO points (measurement, device, ts, seq, site, grp, fields) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO UPDATE SET fields = json_patch(fields, excluded.fields)
"""

# The embedded fast path: the outbox is SQLite too, so a batch moves with one statement, all in C.
COPY_FROM_OUTBOX = """
INSERT INTO points (measurement, device, ts, seq, site, grp, fields)
SELECT measurement, device, ts, seq, site, grp, CAST(fields AS TEXT) FROM outbox.outbox WHERE id <= ? ORDER BY id
ON CONFLICT DO UPDATE SET fields = json_patch(fields, excluded.fields)
"""

# Buckets start at multiples of every_ms since the epoch, as InfluxDB's GROUP BY time() and Flux's
# aggregateWindow do. Only numeric values count: json_type leaves strings and booleans out of the mean.
MEAN = """
SELECT (ts / :every) * :every AS bucket, avg(json_extract(fields, :path))
FROM points
WHERE measurement = :m AND device = :d AND ts >= :since AND ts < :until
  AND json_type(fields, :path) IN ('integer', 'real')
GROUP BY bucket ORDER BY bucket
"""


# One encoder built once: json.dumps with any keyword builds a new encoder per call, which costs more than
# the insert itself. allow_nan=False because NaN is not JSON and would break json_extract on the row.
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def _row(p: Point) -> tuple[str, str, int, int, str, str, str]:
    try:
        fields = _encode(p.fields if type(p.fields) is dict else dict(p.fields))
    except ValueError as exc:
        raise ValueError(f"point {p.measurement}/{p.device} at {p.ts_ms}: {exc} ({dict(p.fields)})") from exc
    return (p.measurement, p.device, p.ts_ms, p.seq, p.site, p.group, fields)


class SQLiteStore:
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Two connections: the writer thread's transactions never wait on the API thread's reads (WAL lets
        # readers run beside one writer); each has a lock since a connection is not for concurrent use.
        self._writer = self._connect()
        _migrate(self._writer)
        self._reader = self._connect()
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._attached: Path | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before write() returns, because the caller then deletes its outbox rows.
        # In WAL that is one fsync per batch, not per row.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(SCHEMA)
        return conn

    @contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            self._writer.execute(begin)
            try:
                yield self._writer
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            self._writer.execute("COMMIT")

    def write(self, points: Sequence[Point]) -> None:
        if not points:
            return
        rows = [_row(p) for p in points]
        with self._transaction() as conn:
            conn.executemany(UPSERT, rows)

    def copy_from_outbox(self, outbox: Path, last_id: int) -> None:
        """Copy every outbox row up to `last_id` in one transaction (raises sqlite3.Error on a bad row)."""
        with self._write_lock:
            if self._attached != outbox:
                self._writer.execute("ATTACH DATABASE ? AS outbox", (str(outbox),))  # only ever read
                self._attached = outbox
        # A deferred BEGIN: IMMEDIATE would take the write lock of every attached file, the outbox's too,
        # and the ingest committer would wait for this copy (and its fsync) before each commit.
        with self._transaction("BEGIN") as conn:
            conn.execute(COPY_FROM_OUTBOX, (last_id,))

    def query(
        self, measurement: str, device: str, field: str, since_ms: int, until_ms: int, every_ms: int
    ) -> list[Bucket]:
        check_window(since_ms, until_ms, every_ms)
        args = {
            "every": every_ms,
            "path": f'$."{check_field(field)}"',
            "m": measurement,
            "d": device,
            "since": since_ms,
            "until": until_ms,
        }
        with self._read_lock:
            rows = self._reader.execute(MEAN, args).fetchall()
        return [Bucket(int(ts), float(value)) for ts, value in rows]

    def count(self, measurement: str, device: str | None = None) -> int:
        sql = "SELECT count(*) FROM points WHERE measurement = ?"
        args: tuple[str, ...] = (measurement,)
        if device:
            sql, args = sql + " AND device = ?", (measurement, device)
        with self._read_lock:
            return int(self._reader.execute(sql, args).fetchone()[0])

    def seqs(self, measurement: str, device: str) -> list[int]:
        """The `seq` field of one device's points in time order (for tests and benchmarks)."""
        sql = (
            "SELECT json_extract(fields, '$.seq') FROM points WHERE measurement = ? AND device = ? "
            "AND json_type(fields, '$.seq') = 'integer' ORDER BY ts, seq"
        )
        with self._read_lock:
            return [int(seq) for (seq,) in self._reader.execute(sql, (measurement, device))]

    def ping(self) -> bool:
        try:
            with self._read_lock:
                self._reader.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            self._writer.close()
            self._reader.close()


def _migrate(conn: sqlite3.Connection) -> None:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(points)")}
    if "seq" in columns:
        return
    conn.executescript(f"BEGIN IMMEDIATE; {MIGRATE_TO_SEQ_KEY} COMMIT;")
