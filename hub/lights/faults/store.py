"""The lights' faults in the hub state DB (light_faults; see hub/faulttable.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from hub.faulttable import FaultRows, detail_of
from hub.lights.faults.detect import FaultKind
from hub.statedb import StateDB


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


class FaultTable(FaultRows[Fault]):
    def __init__(self, db: StateDB) -> None:
        super().__init__(db, "light_faults", _fault)


def _fault(row: sqlite3.Row) -> Fault:
    return Fault(row["id"], FaultKind(row["kind"]), row["subject"], row["opened_ms"], row["seen_ms"],
                 row["seen_by"], row["closed_ms"], detail_of(row))
