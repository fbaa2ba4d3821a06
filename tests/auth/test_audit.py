"""The audit log under a flood of refusals (one row per kind per minute, with a count) and its retention."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.auth.audit import DAY_MS, AuditLog, Retention
from hub.auth.principal import Principal, Role
from hub.auth.throttle import Summary, Throttle
from hub.runtime import Hub
from hub.statedb import StateDB

MINUTE = 60_000


def log_at(db: StateDB, now: list[int], **retention: int) -> AuditLog:
    return AuditLog(db, Retention(**retention), clock=lambda: now[0])


def test_the_throttle_writes_the_first_of_a_kind_and_counts_the_rest() -> None:
    throttle: Throttle[str] = Throttle(window_ms=MINUTE)
    assert throttle.admit("a", "POST /x", 0) == (True, [])
    assert throttle.admit("a", "POST /y", 10) == (False, [])
    assert throttle.admit("b", "POST /x", 20) == (True, [])  # another kind: written
    assert throttle.admit("a", "POST /z", MINUTE - 1) == (False, [])
    write, due = throttle.admit("a", "POST /x", MINUTE)  # the window has passed: summary, and a new window
    assert write and due == [Summary("a", 2, "POST /z", MINUTE)]
    assert throttle.expired(MINUTE + 19) == []
    assert throttle.expired(MINUTE + 20) == []  # "b" closed with nothing suppressed: no summary row
    assert len(throttle) == 1
    throttle.admit("a", "POST /w", MINUTE + 30)
    assert throttle.drain() == [Summary("a", 1, "POST /w", MINUTE)]


def test_the_throttle_holds_a_bounded_number_of_kinds() -> None:
    throttle: Throttle[int] = Throttle(window_ms=MINUTE, max_keys=10)
    for i in range(100):
        throttle.admit(i, "t", 0)
        throttle.admit(i, "t", 1)
    assert len(throttle) == 10  # the oldest closed early, their counts summarised, not lost


def test_a_flood_of_refusals_is_one_row_and_a_summary(tmp_path: Path) -> None:
    now = [1_000_000]
    audit = log_at(StateDB(tmp_path / "hub.sqlite3"), now)
    for i in range(2000):
        audit.refused(None, "access", f"POST /api/x{i % 3}", "denied", "missing or invalid credentials",
                      address="203.0.113.9")
    audit.refused(None, "access", "POST /api/x", "denied", "missing or invalid credentials", address="192.0.2.1")
    assert len(audit.page(limit=200)) == 2
    now[0] += MINUTE
    rows = audit.page(limit=200)  # reading closes the windows that have passed
    assert len(rows) == 3
    summary = rows[0]
    assert summary.address == "203.0.113.9" and summary.outcome == "denied" and summary.target == "POST /api/x1"
    assert summary.detail == "missing or invalid credentials: 1999 more like this within 60 s, the last on POST /api/x1"


def test_a_summary_names_the_user_it_concerns(tmp_path: Path) -> None:
    now = [1_000_000]
    audit = log_at(StateDB(tmp_path / "hub.sqlite3"), now)
    resident = Principal(7, "+84900000103", "Lan", Role.RESIDENT, "vi")
    for _ in range(3):
        audit.refused(resident, "access", "GET /api/audit", "denied", "role resident", address="192.0.2.1")
    audit.flush(everything=True)
    rows = audit.page()
    assert [(r.user_id, r.role, r.actor) for r in rows] == [(7, "resident", "+84900000103")] * 2
    assert rows[0].detail is not None and rows[0].detail.startswith("role resident: 2 more")


def test_anonymous_posts_do_not_fill_the_log(client: TestClient, hub: Hub) -> None:
    for i in range(300):
        assert client.post(f"/api/users/{i + 1}/disable").status_code == 401
    assert len(hub.auth.audit.page(action="access", limit=200)) == 1


def test_rows_past_the_retention_age_are_pruned_at_write(tmp_path: Path) -> None:
    now = [400 * DAY_MS]
    audit = log_at(StateDB(tmp_path / "hub.sqlite3"), now, max_age_ms=30 * DAY_MS, every_ms=MINUTE)
    audit.record(None, "old", "t", "ok")
    now[0] += 29 * DAY_MS
    audit.record(None, "recent", "t", "ok")
    assert [r.action for r in audit.page()] == ["recent", "old"]
    now[0] += DAY_MS + 1
    audit.record(None, "new", "t", "ok")  # the first write after the prune interval prunes
    assert [r.action for r in audit.page()] == ["new", "recent"]


def test_the_row_cap_keeps_the_newest(tmp_path: Path) -> None:
    now = [DAY_MS]
    audit = log_at(StateDB(tmp_path / "hub.sqlite3"), now, max_rows=50, every_ms=MINUTE)
    for i in range(120):
        audit.record(None, f"a{i}", "t", "ok")
    assert audit.prune() == 70
    kept = audit.page(limit=200)
    assert len(kept) == 50 and kept[0].action == "a119" and kept[-1].action == "a70"


def test_pruning_waits_for_its_interval(tmp_path: Path) -> None:
    now = [DAY_MS]
    audit = log_at(StateDB(tmp_path / "hub.sqlite3"), now, max_rows=10, every_ms=MINUTE)
    for i in range(30):
        audit.record(None, f"a{i}", "t", "ok")  # the first write pruned; the next 29 within the minute did not
    assert len(audit.page(limit=200)) == 30
    now[0] += MINUTE
    audit.record(None, "later", "t", "ok")
    assert len(audit.page(limit=200)) == 11  # pruned to 10 before writing the 11th


def test_the_counts_of_the_last_minute_are_written_when_the_hub_stops(hub: Hub) -> None:
    with TestClient(create_app(lambda: hub)) as client:
        for _ in range(3):
            assert client.post("/api/invites").status_code == 401
        assert len(hub.auth.audit.page(action="access")) == 1
    with closing(sqlite3.connect(hub.settings.data_dir / "hub.sqlite3")) as db:
        details = [row[0] for row in db.execute("SELECT detail FROM audit WHERE action = 'access' ORDER BY id")]
    assert details == ["missing or invalid credentials",
                       "missing or invalid credentials: 2 more like this within 60 s, the last on POST /api/invites"]
