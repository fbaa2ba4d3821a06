"""The audit log (nhật ký thao tác): who, in which role, did what to what, with what outcome, when.

Every service records its state-changing actions here, refused ones too:

    hub.auth.audit.record(user, "light.command", "group:ngo-3", "ok", detail="on 80%")

`detail` is for people reading the log: never put a password, token or cookie value in it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hub.auth.principal import Principal
from hub.statedb import StateDB
from hub.timeutil import now_ms

log = logging.getLogger(__name__)

Outcome = Literal["ok", "denied", "failed", "limited"]
MAX_TEXT = 500
MAX_PAGE = 200
COLUMNS = "id, ts_ms, user_id, actor, role, action, target, outcome, detail, address"  # AuditEntry order


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    ts_ms: int
    user_id: int | None
    actor: str | None  # phone number (or "cli") at the time: survives the account's later changes
    role: str | None
    action: str
    target: str
    outcome: str
    detail: str | None
    address: str | None


class AuditLog:
    def __init__(self, db: StateDB) -> None:
        self.db = db

    def record(
        self,
        principal: Principal | None,
        action: str,
        target: str,
        outcome: Outcome,
        detail: str | None = None,
        *,
        address: str | None = None,
        actor: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO audit (ts_ms, user_id, actor, role, action, target, outcome, detail, address)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (
                now_ms(),
                principal.user_id if principal else None,
                actor or (principal.phone if principal else None),
                principal.role.value if principal else None,
                action[:100], target[:MAX_TEXT], outcome,
                detail[:MAX_TEXT] if detail else None,
                address,
            ),
        )
        # Ids and names only: the same line a person reads in the app.
        log.info("audit %s %s %s by %s", action, target, outcome, principal.user_id if principal else actor)

    def page(
        self, *, user_id: int | None = None, action: str | None = None, before: int | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        """Newest first. `action` matches exactly or as a prefix up to a dot ("light" finds "light.command");
        `before` is the last id of the previous page (keyset paging: stable while new entries arrive)."""
        where: list[str] = []
        params: list[Any] = []
        if user_id is not None:
            where.append("user_id = ?")
            params.append(user_id)
        if action:
            where.append("(action = ? OR substr(action, 1, ?) = ?)")
            params += [action, len(action) + 1, action + "."]
        if before is not None:
            where.append("id < ?")
            params.append(before)
        sql = f"SELECT {COLUMNS} FROM audit" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self.db.fetchall(sql + " ORDER BY id DESC LIMIT ?", [*params, min(limit, MAX_PAGE)])
        return [_entry(r) for r in rows]


def _entry(row: Sequence[Any]) -> AuditEntry:
    return AuditEntry(*row)
