"""The fault table the lights and the loudspeakers share (hub/faulttable.py), on each of their real tables:
one open fault per kind and subject, the first look counts, closing keeps the row for the record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.broadcasts.store import MIGRATIONS as BROADCAST_MIGRATIONS
from hub.broadcasts.store import FaultTable as SpeakerFaultTable
from hub.faulttable import FaultRows
from hub.lights.faults.detect import FaultKind
from hub.lights.faults.store import FaultTable as LightFaultTable
from hub.statedb import MIGRATIONS, StateDB


@pytest.fixture
def db(tmp_path: Path) -> Iterator[StateDB]:
    state = StateDB(tmp_path / "hub.sqlite3", (*MIGRATIONS, *BROADCAST_MIGRATIONS))
    yield state
    state.close()


@pytest.fixture(params=["lights", "speakers"])
def table(request: pytest.FixtureRequest, db: StateDB) -> FaultRows[Any]:
    return LightFaultTable(db) if request.param == "lights" else SpeakerFaultTable(db)


def test_one_open_fault_per_kind_and_subject(table: FaultRows[Any]) -> None:
    first = table.open(FaultKind.LAMP_FAILURE, "den-1", 1_000, {"power_w": 0.4})
    assert first is not None
    assert (first.kind, first.subject, first.opened_ms, first.detail) == ("lamp_failure", "den-1", 1_000,
                                                                          {"power_w": 0.4})
    assert (first.seen_ms, first.seen_by, first.closed_ms) == (None, None, None)
    assert table.open(FaultKind.LAMP_FAILURE, "den-1", 2_000, {}) is None  # the detector fired twice
    other = table.open(FaultKind.OFFLINE, "den-1", 2_000, {})
    assert other is not None and other.id != first.id
    assert [f.id for f in table.open_faults()] == [first.id, other.id]

    table.close(first.id, 3_000)
    table.close(first.id, 4_000)  # closing twice keeps the first close
    assert table.get(first.id).closed_ms == 3_000  # type: ignore[union-attr]
    again = table.open(FaultKind.LAMP_FAILURE, "den-1", 5_000, {})  # a new occurrence is a new fault
    assert again is not None and again.id not in (first.id, other.id)
    assert [f.id for f in table.page(open_only=True, limit=10)] == [again.id, other.id]  # newest first
    assert [f.id for f in table.page(open_only=False, limit=10)] == [again.id, other.id, first.id]
    assert [f.id for f in table.page(open_only=False, limit=1)] == [again.id]


def test_the_first_look_counts_and_an_unknown_id_is_none(table: FaultRows[Any]) -> None:
    fault = table.open(FaultKind.RELAY_FAULT, "den-2", 1_000, {})
    assert fault is not None
    seen = table.see(fault.id, 2_000, 7)
    assert seen is not None and (seen.seen_ms, seen.seen_by) == (2_000, 7)
    later = table.see(fault.id, 3_000, 8)
    assert later is not None and (later.seen_ms, later.seen_by) == (2_000, 7)
    assert table.see(fault.id + 100, 3_000, 7) is None and table.get(fault.id + 100) is None


def test_detail_is_replaced_and_keeps_vietnamese(table: FaultRows[Any]) -> None:
    fault = table.open(FaultKind.POWER_LOSS, "tu-1", 1_000, {"lights": ["den-1"]})
    assert fault is not None
    table.set_detail(fault.id, {"lights": ["den-1", "den-2"], "ghi_chú": "tủ điện"})
    assert table.get(fault.id).detail == {"lights": ["den-1", "den-2"], "ghi_chú": "tủ điện"}  # type: ignore[union-attr]


def test_each_kind_of_device_keeps_its_own_table(db: StateDB) -> None:
    lights, speakers = LightFaultTable(db), SpeakerFaultTable(db)
    light = lights.open(FaultKind.OFFLINE, "x-1", 1_000, {})
    speaker = speakers.open("offline", "x-1", 1_000, {})  # the same kind and subject: another table
    assert light is not None and speaker is not None
    assert isinstance(light.kind, FaultKind) and type(speaker.kind) is str
    assert [f.subject for f in lights.open_faults()] == ["x-1"] == [f.subject for f in speakers.open_faults()]
