"""The audit log (nhật ký thao tác): who, in which role, did what to what, with what outcome, when.

Every service records its state-changing actions here, refused ones too:

    hub.auth.audit.record(user, "light.command", "group:ngo-3", "ok", detail="on 80%")

`detail` is for people reading the log: never put a password, token or cookie value in it.

Refusals anyone can cause without an account (denied access, failed logins) go through `refused()`,
which writes at most one row per kind per minute and a summary with the count (hub.auth.throttle).
Rows older than the retention age, or beyond the row cap, are pruned at write, at most every few minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hub.auth.principal import Principal
from hub.auth.throttle import Summary, Throttle
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


DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Retention:
    max_age_ms: int = 365 * DAY_MS
    max_rows: int = 200_000
    every_ms: int = 5 * 60_000  # prune at the first write this long after the last prune
    throttle_ms: int = 60_000  # refusals: one row per kind per window


# What makes two refusals "the same kind": (action, outcome, detail, address, user id).
RefusalKey = tuple[str, Outcome, str | None, str | None, int | None]


class AuditLog:
    def __init__(self, db: StateDB, retention: Retention | None = None, clock: Callable[[], int] = now_ms) -> None:
        self.db = db
        self.retention = retention or Retention()
        self.clock = clock
        self.throttle: Throttle[RefusalKey] = Throttle(self.retention.throttle_ms)
        self._principals: dict[int, Principal] = {}  # who a throttled key's user id was, for its summary
        self._pruned_ms: int | None = None

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
        now = self.clock()
        if self._pruned_ms is None or now - self._pruned_ms >= self.retention.every_ms:
            self.prune(now)
        self.db.execute(
            "INSERT INTO audit (ts_ms, user_id, actor, role, action, target, outcome, detail, address)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (
                now,
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

    def refused(
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
        """A refusal, throttled: written if it is the first of its kind in the window, else counted."""
        key: RefusalKey = (action, outcome, detail, address, principal.user_id if principal else None)
        if principal is not None:
            self._principals[principal.user_id] = principal
        write, due = self.throttle.admit(key, target, self.clock())
        self._summarise(due)
        if write:
            self.record(principal, action, target, outcome, detail, address=address, actor=actor)

    def flush(self, everything: bool = False) -> None:
        """Write the summaries of closed windows (all windows with `everything`, when the hub stops)."""
        self._summarise(self.throttle.drain() if everything else self.throttle.expired(self.clock()))

    def prune(self, now: int | None = None) -> int:
        """Delete rows past the retention age and beyond the row cap; returns how many went."""
        now = self.clock() if now is None else now
        self._pruned_ms = now
        gone = self.db.execute("DELETE FROM audit WHERE ts_ms < ?", (now - self.retention.max_age_ms,)).rowcount
        # Ids only grow, so the newest max_rows rows are the ones with the highest ids.
        capped = self.db.execute("DELETE FROM audit WHERE id <= (SELECT max(id) FROM audit) - ?",
                                 (self.retention.max_rows,)).rowcount
        return gone + capped

    def page(
        self, *, user_id: int | None = None, action: str | None = None, before: int | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        """Newest first. `action` matches exactly or as a prefix up to a dot ("light" finds "light.command");
        `before` is the last id of the previous page (keyset paging: stable while new entries arrive)."""
        self.flush()  # a reader sees the counts of every window that has closed
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


    def _summarise(self, due: list[Summary[RefusalKey]]) -> None:
        for s in due:
            action, outcome, detail, address, user_id = s.key
            principal = self._principals.get(user_id) if user_id is not None else None
            seconds = s.window_ms // 1000
            more = f"{s.count} more like this within {seconds} s, the last on {s.last_target}"
            self.record(principal, action, s.last_target, outcome,
                        f"{detail}: {more}" if detail else more, address=address)


def _entry(row: Sequence[Any]) -> AuditEntry:
    return AuditEntry(*row)
