"""The state DB's migrations: applied once, in order, remembered by id; a later service adds its own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hub.statedb import MIGRATIONS, Migration, MigrationError, StateDB


def test_fresh_database_gets_every_migration_once(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "hub.sqlite3")
    assert db.applied == [m.id for m in MIGRATIONS]
    assert db.scalar("PRAGMA journal_mode") == "wal"
    db.close()
    again = StateDB(tmp_path / "hub.sqlite3")
    assert again.applied == []
    again.close()


def test_a_later_service_appends_a_migration(tmp_path: Path) -> None:
    StateDB(tmp_path / "hub.sqlite3").close()
    later = Migration("lights-001-schedules", """
        CREATE TABLE schedules (id INTEGER PRIMARY KEY, body TEXT NOT NULL DEFAULT 'a;b');
        CREATE TRIGGER schedules_touch AFTER INSERT ON schedules BEGIN
            UPDATE schedules SET body = body || ';' WHERE id = new.id;
        END;
    """)
    db = StateDB(tmp_path / "hub.sqlite3", (*MIGRATIONS, later))
    assert db.applied == ["lights-001-schedules"]
    db.execute("INSERT INTO schedules DEFAULT VALUES")
    assert db.scalar("SELECT body FROM schedules") == "a;b;"
    db.close()


def test_a_failing_migration_leaves_nothing_half_done(tmp_path: Path) -> None:
    broken = Migration("x-001", "CREATE TABLE x (a INTEGER); CREATE TABLE x (b INTEGER);")
    with pytest.raises(sqlite3.OperationalError):
        StateDB(tmp_path / "hub.sqlite3", (*MIGRATIONS, broken))
    db = StateDB(tmp_path / "hub.sqlite3")
    assert db.fetchone("SELECT name FROM sqlite_master WHERE name = 'x'") is None
    db.close()


def test_a_database_from_a_newer_hub_is_refused(tmp_path: Path) -> None:
    StateDB(tmp_path / "hub.sqlite3", (*MIGRATIONS, Migration("future-001", "CREATE TABLE f (a INT)"))).close()
    with pytest.raises(MigrationError, match="future-001"):
        StateDB(tmp_path / "hub.sqlite3")


def test_duplicate_ids_are_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        StateDB(tmp_path / "hub.sqlite3", (*MIGRATIONS, MIGRATIONS[0]))


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "hub.sqlite3")
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO audit (ts_ms, action, target, outcome) VALUES (1, 'a', 'b', 'ok')")
        raise RuntimeError("boom")
    assert db.scalar("SELECT count(*) FROM audit") == 0
    db.close()
