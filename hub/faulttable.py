"""A table of faults in the hub state DB, one per kind of device that keeps its own (light_faults,
speaker_faults): one open row per (kind, subject) at a time, enforced by the table's partial unique index, so a
detector that fires twice cannot open a second alarm for the same thing. A fault is opened, seen once (the
first look counts) and closed; the row stays for the record."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from hub.statedb import StateDB

F = TypeVar("F")
COLUMNS = "id, kind, subject, opened_ms, seen_ms, seen_by, closed_ms, detail"


def detail_of(row: sqlite3.Row) -> dict[str, Any]:
    detail: dict[str, Any] = json.loads(row["detail"] or "{}")
    return detail


class FaultRows(Generic[F]):
    """`table` is one of the hub's own table names (never user input); `make` turns a row into the record."""

    def __init__(self, db: StateDB, table: str, make: Callable[[sqlite3.Row], F]) -> None:
        self._db, self._table, self._make = db, table, make

    def open(self, kind: str, subject: str, now_ms: int, detail: dict[str, Any]) -> F | None:
        """Open a fault; None if one of this kind is already open for the subject."""
        try:
            with self._db.transaction() as conn:
                cursor = conn.execute(
                    f"INSERT INTO {self._table} (kind, subject, opened_ms, detail) VALUES (?,?,?,?)",
                    (str(kind), subject, now_ms, json.dumps(detail, ensure_ascii=False)),
                )
                fault_id = cursor.lastrowid
        except sqlite3.IntegrityError:
            return None
        assert fault_id is not None
        return self.get(fault_id)

    def set_detail(self, fault_id: int, detail: dict[str, Any]) -> None:
        self._db.execute(f"UPDATE {self._table} SET detail = ? WHERE id = ?",
                         (json.dumps(detail, ensure_ascii=False), fault_id))

    def see(self, fault_id: int, now_ms: int, by: int | None) -> F | None:
        """Mark seen (acknowledged); the first look counts. None for an unknown id."""
        self._db.execute(f"UPDATE {self._table} SET seen_ms = ?, seen_by = ? WHERE id = ? AND seen_ms IS NULL",
                         (now_ms, by, fault_id))
        return self.get(fault_id)

    def close(self, fault_id: int, now_ms: int) -> None:
        self._db.execute(f"UPDATE {self._table} SET closed_ms = ? WHERE id = ? AND closed_ms IS NULL",
                         (now_ms, fault_id))

    def get(self, fault_id: int) -> F | None:
        row = self._db.fetchone(f"SELECT {COLUMNS} FROM {self._table} WHERE id = ?", (fault_id,))
        return self._make(row) if row is not None else None

    def open_faults(self) -> list[F]:
        rows = self._db.fetchall(f"SELECT {COLUMNS} FROM {self._table} WHERE closed_ms IS NULL ORDER BY id")
        return [self._make(r) for r in rows]

    def page(self, *, open_only: bool, limit: int) -> list[F]:
        """Newest first."""
        where = "WHERE closed_ms IS NULL" if open_only else ""
        rows = self._db.fetchall(f"SELECT {COLUMNS} FROM {self._table} {where} ORDER BY id DESC LIMIT ?", (limit,))
        return [self._make(r) for r in rows]
