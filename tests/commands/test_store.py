"""The shared command store, generic over the command type: a made-up command kind round-trips through
SQLite and memory, only open ones reload, finished ones are pruned after the keep time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.commands.store import MemoryCommandStore, SqliteCommandStore
from hub.statedb import StateDB


@dataclass
class Bulletin:
    id: str
    created_ms: int
    finished_ms: int | None
    text: str


def dumps(b: Bulletin) -> str:
    return json.dumps([b.id, b.created_ms, b.finished_ms, b.text], ensure_ascii=False)


def loads(text: str) -> Bulletin:
    return Bulletin(*json.loads(text))


def test_sqlite_round_trip_reload_and_prune(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "hub.sqlite3")
    store = SqliteCommandStore(db, "light_commands", dumps, loads, keep_finished_ms=1_000)
    store.save([Bulletin("b", 2, None, "Họp tổ"), Bulletin("a", 1, None, "Tiêm phòng"), Bulletin("c", 3, 10, "Xong")])
    assert [b.id for b in store.load_open()] == ["a", "b"]  # oldest first
    assert store.get("c") == Bulletin("c", 3, 10, "Xong") and store.get("zz") is None
    store.prune(1_010)  # finished at 10, kept 1 000 ms: still there
    assert store.get("c") is not None
    store.prune(1_011)
    assert store.get("c") is None and store.get("a") is not None


def test_a_table_name_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="table"):
        SqliteCommandStore(StateDB(tmp_path / "hub.sqlite3"), "x; DROP TABLE users", dumps, loads)


def test_memory_store_keeps_the_json_form() -> None:
    store = MemoryCommandStore(dumps, loads)
    b = Bulletin("a", 1, None, "Họp tổ")
    store.save([b])
    b.text = "changed after saving"
    assert store.get("a") == Bulletin("a", 1, None, "Họp tổ")
    store.save([Bulletin("a", 1, 5, "Họp tổ")])
    assert store.load_open() == []
