"""The schedules' tables in the hub state DB (migrations lights-00x in hub/statedb.py): rules in order
and the config last pushed to each light. Callers run these off the event loop."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from hub.lights.schedules.rules import Rule
from hub.statedb import StateDB


class RuleTable:
    """Rules in the order the head arranged them (the last tie-break of schedule resolution)."""

    def __init__(self, db: StateDB) -> None:
        self._db = db

    def all(self) -> list[Rule]:
        rows = self._db.fetchall("SELECT body FROM light_rules ORDER BY position, id")
        return [Rule.model_validate_json(row["body"]) for row in rows]

    def get(self, rule_id: str) -> Rule | None:
        row = self._db.fetchone("SELECT body FROM light_rules WHERE id = ?", (rule_id,))
        return Rule.model_validate_json(row["body"]) if row is not None else None

    def put(self, rule: Rule, now_ms: int, by: int | None, position: int | None = None) -> None:
        """Insert at the end (or at `position`), or replace in place keeping the rule's position."""
        with self._db.transaction() as conn:
            row = conn.execute("SELECT position FROM light_rules WHERE id = ?", (rule.id,)).fetchone()
            if position is None:
                position = row["position"] if row is not None else _next_position(conn)
            conn.execute(
                "INSERT OR REPLACE INTO light_rules (id, position, body, updated_ms, updated_by) VALUES (?,?,?,?,?)",
                (rule.id, position, rule.model_dump_json(), now_ms, by),
            )

    def delete(self, rule_id: str) -> bool:
        return self._db.execute("DELETE FROM light_rules WHERE id = ?", (rule_id,)).rowcount > 0


def _next_position(conn: sqlite3.Connection) -> int:
    value = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM light_rules").fetchone()[0]
    return int(value)


@dataclass(frozen=True, slots=True)
class Pushed:
    device: str
    version: int
    pushed_ms: int
    until_ms: int  # the last instant the pushed timeline covers


class ConfigLedger:
    """What config each light was last sent, to compare with the `config_version` it reports."""

    def __init__(self, db: StateDB) -> None:
        self._db = db

    def record(self, pushed: Sequence[Pushed]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO light_configs (device, version, pushed_ms, until_ms) VALUES (?,?,?,?)",
                [(p.device, p.version, p.pushed_ms, p.until_ms) for p in pushed],
            )

    def all(self) -> dict[str, Pushed]:
        rows = self._db.fetchall("SELECT device, version, pushed_ms, until_ms FROM light_configs")
        return {r["device"]: Pushed(r["device"], r["version"], r["pushed_ms"], r["until_ms"]) for r in rows}
