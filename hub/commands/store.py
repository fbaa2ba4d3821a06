"""Where commands are kept across restarts: a protocol, an in-memory store for tests, and the SQLite
store, each generic over the domain's command type. The domain gives the JSON form (`dumps`, `loads`);
the store keys rows by id and knows which are still open (`finished_ms` unset).

A SQLite table for commands has the columns (id TEXT PRIMARY KEY, created_ms, finished_ms, body): the
lights' `light_commands` (hub/statedb.py, migration lights-002) is one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from hub.statedb import StateDB

KEEP_FINISHED_MS = 90 * 86_400_000  # finished commands older than this are pruned: the audit log keeps them
_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class Stored(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def created_ms(self) -> int: ...

    @property
    def finished_ms(self) -> int | None: ...


C = TypeVar("C", bound=Stored)


class CommandStore(Protocol[C]):
    def save(self, commands: Sequence[C]) -> None:
        """Insert or replace, all in one transaction."""
        ...

    def load_open(self) -> list[C]:
        """The commands not finished yet."""
        ...

    def get(self, command_id: str) -> C | None: ...


class MemoryCommandStore(Generic[C]):
    """Keeps the JSON form, as the SQLite store does, so a test sees what a restart would load."""

    def __init__(self, dumps: Callable[[C], str], loads: Callable[[str], C]) -> None:
        self._dumps, self._loads = dumps, loads
        self._rows: dict[str, str] = {}
        self._lock = threading.Lock()

    def save(self, commands: Sequence[C]) -> None:
        with self._lock:
            self._rows.update({c.id: self._dumps(c) for c in commands})

    def load_open(self) -> list[C]:
        with self._lock:
            found = [self._loads(text) for text in self._rows.values()]
        return [c for c in found if c.finished_ms is None]

    def get(self, command_id: str) -> C | None:
        with self._lock:
            text = self._rows.get(command_id)
        return self._loads(text) if text is not None else None


class SqliteCommandStore(Generic[C]):
    def __init__(self, db: StateDB, table: str, dumps: Callable[[C], str], loads: Callable[[str], C], *,
                 keep_finished_ms: int = KEEP_FINISHED_MS) -> None:
        if not _TABLE.match(table):
            raise ValueError(f"table: {table!r} is not a plain lower-case SQL name")
        self._db, self._table, self._dumps, self._loads = db, table, dumps, loads
        self._keep = keep_finished_ms

    def save(self, commands: Sequence[C]) -> None:
        rows = [(c.id, c.created_ms, c.finished_ms, self._dumps(c)) for c in commands]
        with self._db.transaction() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO {self._table} (id, created_ms, finished_ms, body) VALUES (?,?,?,?)", rows
            )

    def load_open(self) -> list[C]:
        rows = self._db.fetchall(f"SELECT body FROM {self._table} WHERE finished_ms IS NULL ORDER BY created_ms")
        return [self._loads(row["body"]) for row in rows]

    def get(self, command_id: str) -> C | None:
        row = self._db.fetchone(f"SELECT body FROM {self._table} WHERE id = ?", (command_id,))
        return self._loads(row["body"]) if row is not None else None

    def prune(self, now_ms: int) -> None:
        self._db.execute(f"DELETE FROM {self._table} WHERE finished_ms < ?", (now_ms - self._keep,))
