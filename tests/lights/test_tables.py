"""The lights' tables in the hub state DB: light commands round-trip through the shared store and
reopen, rules keep their order, the ledger keeps the last push."""

from __future__ import annotations

from pathlib import Path

from hub.commands.lifecycle import Status
from hub.commands.model import Label, Progress, Target
from hub.lights.commands.model import LightCommand, sqlite_store
from hub.lights.commands.rollup import Desired
from hub.lights.schedules.tables import ConfigLedger, Pushed, RuleTable
from hub.statedb import StateDB
from tests.lights.rulekit import rule


def command(cid: str, finished: int | None = None) -> LightCommand:
    return LightCommand(
        id=cid, created_ms=1, expires_ms=2, by_user=7, by_name="Trưởng khu", target=Target(group="ngo-3"),
        label=Label("Ngõ 3", "Ngõ 3"), desired=Desired(True, 60, 120), finished_ms=finished,
        lights={"den-1": Progress("den-1", "Đèn 1", Status.TIMED_OUT, 5, 3, 2, True, "no confirmation")},
    )


def test_commands_round_trip_and_only_open_ones_reload(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "hub.sqlite3")
    store = sqlite_store(db)
    store.save([command("a"), command("b", finished=9)])
    assert [c.id for c in store.load_open()] == ["a"]
    again = store.get("b")
    assert again is not None and again.lights["den-1"] == command("b").lights["den-1"]
    assert again.desired == Desired(True, 60, 120) and again.label == Label("Ngõ 3", "Ngõ 3")
    db.close()
    reopened = sqlite_store(StateDB(tmp_path / "hub.sqlite3"))
    assert reopened.get("a") is not None


def test_rules_keep_the_heads_order_and_replace_in_place(tmp_path: Path) -> None:
    table = RuleTable(StateDB(tmp_path / "hub.sqlite3"))
    for rid in ("r1", "r2", "r3"):
        table.put(rule(rid, [("sunset", 100)], "sunrise"), 1, 7)
    table.put(rule("r1", [("sunset", 50)], "sunrise", name="changed"), 2, 7)
    assert [r.id for r in table.all()] == ["r1", "r2", "r3"]
    assert table.delete("r2") and not table.delete("r2")
    assert [r.name for r in table.all()] == ["changed", "r3"]


def test_the_ledger_keeps_the_last_push_per_light(tmp_path: Path) -> None:
    ledger = ConfigLedger(StateDB(tmp_path / "hub.sqlite3"))
    ledger.record([Pushed("den-1", 1, 10, 20)])
    ledger.record([Pushed("den-1", 2, 11, 21), Pushed("den-2", 2, 11, 21)])
    assert ledger.all()["den-1"] == Pushed("den-1", 2, 11, 21) and len(ledger.all()) == 2
