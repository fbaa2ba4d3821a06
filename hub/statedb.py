"""The hub's own state in SQLite (`data_dir/hub.sqlite3`, WAL): users, sessions, invites, audit log, and
whatever later services keep (light schedules, commands).

Schema changes are an ordered list of named migrations. To add a table, append a `Migration` to
`MIGRATIONS` with a new id (prefix it with your service: "lights-001-schedules"); never edit or reorder
one that has shipped, since each is applied once per database and remembered by id.

One connection shared by the threadpool behind a lock: the hub's state is small and its writes are rare
(a login, a command), so a single writer is simpler than a pool and never sees SQLITE_BUSY from itself.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.timeutil import now_ms


@dataclass(frozen=True, slots=True)
class Migration:
    id: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration("auth-001-users", """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            phone TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('head', 'technician', 'resident')),
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            language TEXT NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en')),
            created_ms INTEGER NOT NULL
        );
    """),
    Migration("auth-002-sessions", """
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            via TEXT NOT NULL CHECK (via IN ('cookie', 'bearer')),
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL
        );
        CREATE INDEX sessions_user ON sessions(user_id);
    """),
    Migration("auth-003-invites", """
        CREATE TABLE invites (
            code_hash TEXT PRIMARY KEY,
            created_by INTEGER NOT NULL REFERENCES users(id),
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL,
            used_ms INTEGER,
            used_by INTEGER REFERENCES users(id)
        );
    """),
    Migration("auth-004-audit", """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            ts_ms INTEGER NOT NULL,
            user_id INTEGER,
            actor TEXT,
            role TEXT,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT,
            address TEXT
        );
        CREATE INDEX audit_user ON audit(user_id, id);
        CREATE INDEX audit_action ON audit(action, id);
    """),
    # Street lights (hub/lights): schedule rules in the head's order, commands with each light's progress
    # (JSON), the config last pushed to each light, faults, and energy per light and local day.
    Migration("lights-001-rules", """
        CREATE TABLE light_rules (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            body TEXT NOT NULL,
            updated_ms INTEGER NOT NULL,
            updated_by INTEGER
        );
    """),
    Migration("lights-002-commands", """
        CREATE TABLE light_commands (
            id TEXT PRIMARY KEY,
            created_ms INTEGER NOT NULL,
            finished_ms INTEGER,
            body TEXT NOT NULL
        );
        CREATE INDEX light_commands_finished ON light_commands(finished_ms);
    """),
    Migration("lights-003-configs", """
        CREATE TABLE light_configs (
            device TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            pushed_ms INTEGER NOT NULL,
            until_ms INTEGER NOT NULL
        );
    """),
    Migration("lights-004-faults", """
        CREATE TABLE light_faults (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            opened_ms INTEGER NOT NULL,
            seen_ms INTEGER,
            seen_by INTEGER,
            closed_ms INTEGER,
            detail TEXT
        );
        CREATE UNIQUE INDEX light_faults_open ON light_faults(kind, subject) WHERE closed_ms IS NULL;
        CREATE INDEX light_faults_opened ON light_faults(opened_ms);
    """),
    Migration("lights-005-energy", """
        CREATE TABLE light_energy (
            device TEXT NOT NULL,
            day TEXT NOT NULL,
            wh REAL NOT NULL,
            full_wh REAL NOT NULL,
            on_ms INTEGER NOT NULL,
            PRIMARY KEY (device, day)
        );
        CREATE TABLE light_meters (
            device TEXT PRIMARY KEY,
            ts_ms INTEGER NOT NULL,
            energy_wh REAL NOT NULL,
            power_w REAL NOT NULL,
            level INTEGER NOT NULL
        );
    """),
)


class MigrationError(RuntimeError):
    """The database was written by a newer hub (it has migrations this one does not know)."""


class StateDB:
    def __init__(self, path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a migration's DDL is one transaction.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")  # the CLI may write while the hub runs
        try:
            self.applied = migrate(self._conn, migrations)
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything inside commits together or not at all; writers take the lock up front."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """One statement in its own transaction (autocommit)."""
        with self._lock:
            return self._conn.execute(sql, params)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (None when there is none): counts, single values."""
        row = self.fetchone(sql, params)
        return row[0] if row is not None else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply the migrations this database has not seen, in order; return the ids applied now."""
    ids = [m.id for m in migrations]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate migration ids in {ids}")
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (id TEXT PRIMARY KEY, applied_ms INTEGER NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT id FROM migrations")}
    unknown = done - set(ids)
    if unknown:
        raise MigrationError(f"hub.sqlite3 has migrations this hub does not know: {sorted(unknown)}")
    applied = []
    for migration in migrations:
        if migration.id in done:
            continue
        # executescript would commit on its own; split so the DDL and its record share one transaction.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute("INSERT INTO migrations (id, applied_ms) VALUES (?, ?)", (migration.id, now_ms()))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(migration.id)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a script into statements; `complete_statement` keeps a trigger's BEGIN…END or a ';' inside a
    string literal whole."""
    statements, buffer = [], ""
    for part in sql.split(";"):
        buffer += part + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n\t;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \n\t;"):
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()[:60]!r}")
    return statements
