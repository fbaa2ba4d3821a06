"""Faults in the hub state DB (light_faults): one open row per (kind, subject) at a time, enforced by a
partial unique index, so a detector that fires twice cannot open a second alarm for the same thing."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from hub.lights.faults.detect import FaultKind
from hub.statedb import StateDB

COLUMNS = "id, kind, subject, opened_ms, seen_ms, seen_by, closed_ms, detail"


@dataclass(frozen=True, slots=True)
class Fault:
    id: int
    kind: FaultKind
    subject: str  # a light, or a power cabinet for a power loss
    opened_ms: int
    seen_ms: int | None
    seen_by: int | None
    closed_ms: int | None
    detail: dict[str, Any]


class FaultTable:
    def __init__(self, db: StateDB) -> None:
        self._db = db

    def open(self, kind: FaultKind, subject: str, now_ms: int, detail: dict[str, Any]) -> Fault | None:
        """Open a fault; None if one of this kind is already open for the subject."""
        try:
            with self._db.transaction() as conn:
                cursor = conn.execute(
                    "INSERT INTO light_faults (kind, subject, opened_ms, detail) VALUES (?,?,?,?)",
                    (kind.value, subject, now_ms, json.dumps(detail, ensure_ascii=False)),
                )
                fault_id = cursor.lastrowid
        except sqlite3.IntegrityError:
            return None
        assert fault_id is not None
        return self.get(fault_id)

    def set_detail(self, fault_id: int, detail: dict[str, Any]) -> None:
        self._db.execute("UPDATE light_faults SET detail = ? WHERE id = ?",
                         (json.dumps(detail, ensure_ascii=False), fault_id))

    def see(self, fault_id: int, now_ms: int, by: int) -> Fault | None:
        """Mark seen (acknowledged); the first look counts. None for an unknown id."""
        self._db.execute("UPDATE light_faults SET seen_ms = ?, seen_by = ? WHERE id = ? AND seen_ms IS NULL",
                         (now_ms, by, fault_id))
        return self.get(fault_id)

    def close(self, fault_id: int, now_ms: int) -> None:
        self._db.execute("UPDATE light_faults SET closed_ms = ? WHERE id = ? AND closed_ms IS NULL",
                         (now_ms, fault_id))

    def get(self, fault_id: int) -> Fault | None:
        row = self._db.fetchone(f"SELECT {COLUMNS} FROM light_faults WHERE id = ?", (fault_id,))
        return _fault(row) if row is not None else None

    def open_faults(self) -> list[Fault]:
        rows = self._db.fetchall(f"SELECT {COLUMNS} FROM light_faults WHERE closed_ms IS NULL ORDER BY id")
        return [_fault(r) for r in rows]

    def page(self, *, open_only: bool, limit: int) -> list[Fault]:
        """Newest first."""
        where = "WHERE closed_ms IS NULL" if open_only else ""
        rows = self._db.fetchall(f"SELECT {COLUMNS} FROM light_faults {where} ORDER BY id DESC LIMIT ?", (limit,))
        return [_fault(r) for r in rows]


def _fault(row: sqlite3.Row) -> Fault:
    return Fault(row["id"], FaultKind(row["kind"]), row["subject"], row["opened_ms"], row["seen_ms"],
                 row["seen_by"], row["closed_ms"], json.loads(row["detail"] or "{}"))
