"""The ingest path on the in-memory bus: validate -> registry -> outbox -> ack -> writer -> store."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from devices.contract import topic
from hub.bus.memory import MemoryBroker, MemoryBus
from hub.ingest.outbox import Outbox
from hub.ingest.pipeline import Ingest, IngestOptions
from hub.ingest.writer import Writer
from hub.metrics import HubMetrics
from hub.registry import Registry
from hub.storage.base import Bucket, Point, StoreUnavailable
from hub.storage.sqlite_store import SQLiteStore
from tests.hub.sites import small_site

NOW = 1_795_000_000_000
SITE = small_site()


class FlakyStore(SQLiteStore):
    """A real SQLite store that can be switched off, as a store outage."""

    down = False

    def write(self, points: Sequence[Point]) -> None:
        if self.down:
            raise StoreUnavailable("switched off by the test")
        super().write(points)

    def copy_from_outbox(self, outbox: Path, last_id: int) -> None:
        if self.down:
            raise StoreUnavailable("switched off by the test")
        super().copy_from_outbox(outbox, last_id)


class PointByPointStore:
    """A store without the outbox fast path (like the InfluxDB ones) that refuses NaN as they do."""

    name = "picky"

    def __init__(self, inner: SQLiteStore) -> None:
        self.inner = inner

    def write(self, points: Sequence[Point]) -> None:
        if any(v != v for p in points for v in p.fields.values() if isinstance(v, float)):
            raise ValueError("NaN is not storable")
        self.inner.write(points)

    def query(self, *args: Any) -> list[Bucket]:
        return self.inner.query(*args)

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass


class Rig:
    def __init__(self, tmp: Path) -> None:
        self.broker = MemoryBroker()
        self.hub_bus: MemoryBus = self.broker.client()
        self.device = self.broker.client()
        self.outbox = Outbox(tmp / "outbox.sqlite3")
        self.store = FlakyStore(tmp / "telemetry.sqlite3")
        self.metrics = HubMetrics()
        self.registry = Registry(SITE)
        self.ingest = Ingest(self.hub_bus, self.outbox, self.registry, self.metrics, IngestOptions(SITE.id),
                             clock=lambda: NOW)
        self.writer = Writer(self.outbox, self.store, self.metrics)
        self.ingest.start()
        self.hub_bus.start()
        self.device.start()

    def send(self, device: str, channel: str, payload: bytes | dict[str, object]) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.device.publish(topic(SITE.id, "light", device, channel), body, qos=1)

    def close(self) -> None:
        self.ingest.stop()
        self.store.close()
        self.outbox.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


def tele(seq: int) -> dict[str, object]:
    return {"ts": NOW - 10_000 + seq, "seq": seq, "power_w": 40.0, "voltage_v": 220, "energy_wh": seq, "level": 100}


def test_messages_are_acked_only_after_the_outbox_commit(rig: Rig) -> None:
    for seq in range(5):
        rig.send("den-1", "telemetry", tele(seq))
    assert rig.hub_bus.acked == []  # queued, not yet durable
    assert rig.ingest.process_pending() == 5
    assert len(rig.hub_bus.acked) == 5
    assert rig.outbox.depth() == 5


def test_writer_lands_each_message_once_and_empties_the_outbox(rig: Rig) -> None:
    for seq in range(20):
        rig.send("den-1", "telemetry", tele(seq))
    rig.ingest.process_pending()
    # A replay (the broker redelivering what it thinks was not acked) must not duplicate.
    for seq in range(10):
        rig.send("den-1", "telemetry", tele(seq))
    rig.ingest.process_pending()
    while rig.writer.drain_once():
        pass
    assert rig.outbox.depth() == 0
    assert rig.store.seqs("light", "den-1") == list(range(20))
    assert rig.metrics.points_written.total() == 30


def test_a_store_outage_keeps_every_point_in_the_outbox(rig: Rig) -> None:
    for seq in range(8):
        rig.send("den-2", "telemetry", tele(seq))
    rig.ingest.process_pending()
    rig.store.down = True
    with pytest.raises(StoreUnavailable):
        rig.writer.drain_once()
    assert rig.outbox.depth() == 8
    rig.store.down = False
    assert rig.writer.drain_once() == 8
    assert rig.store.seqs("light", "den-2") == list(range(8))


def test_bad_messages_are_dead_lettered_acked_counted_and_do_not_stop_the_next(rig: Rig) -> None:
    rig.send("den-1", "telemetry", b"{not json")
    rig.send("den-1", "telemetry", {**tele(1), "power_w": "high"})
    rig.send("den-77", "telemetry", tele(2))
    rig.send("den-1", "telemetry", tele(3))
    rig.ingest.process_pending()
    assert len(rig.hub_bus.acked) == 4
    letters = {d.reason: d for d in rig.outbox.dead_letters()}
    assert set(letters) == {"malformed", "invalid", "unknown_device"}
    assert "power_w" in letters["invalid"].detail
    assert letters["unknown_device"].topic.endswith("/den-77/telemetry")
    assert rig.metrics.rejected.value("invalid") == 1
    assert rig.outbox.depth() == 1  # only the good one goes on to the store
    text = rig.metrics.render()
    assert 'hamlet_messages_rejected_total{reason="unknown_device"} 1' in text


def test_registry_follows_availability_state_and_telemetry(rig: Rig) -> None:
    rig.send("den-3", "availability", b"online")
    rig.send("den-3", "state", {"ts": NOW, "seq": 1, "state": "ON", "brightness": 60})
    rig.send("den-3", "telemetry", tele(2))
    rig.ingest.process_pending()
    live = rig.registry.get("den-3")
    assert live is not None
    assert live.online and live.is_online(NOW, 1000)
    assert live.state["state"] == "ON" and live.state["brightness"] == 60
    assert live.telemetry["power_w"] == 40.0
    rig.send("den-3", "availability", b"offline")
    rig.ingest.process_pending()
    assert not live.online


def test_a_failed_outbox_commit_acks_nothing_and_keeps_the_batch(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    rig.send("den-1", "telemetry", tele(1))

    def broken(*_a: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(rig.outbox, "commit", broken)
    with pytest.raises(OSError, match="disk full"):
        rig.ingest.process_pending()
    assert rig.hub_bus.acked == []
    monkeypatch.undo()
    assert rig.ingest.process_pending() == 1
    assert len(rig.hub_bus.acked) == 1


def test_a_point_the_store_refuses_is_dead_lettered_and_does_not_block_the_rest(rig: Rig) -> None:
    writer = Writer(rig.outbox, PointByPointStore(rig.store), rig.metrics)
    good = Point("light", SITE.id, "den-1", "ngo-1", NOW, {"seq": 1, "power_w": 1.0})
    bad = Point("light", SITE.id, "den-1", "ngo-1", NOW + 1, {"seq": 2, "power_w": float("nan")})  # unstorable
    rig.outbox.commit([good, bad], [])
    assert writer.drain_once() == 1
    assert rig.outbox.depth() == 0
    assert rig.store.seqs("light", "den-1") == [1]
    assert [d.reason for d in rig.outbox.dead_letters()] == ["unstorable"]


def test_the_embedded_fast_path_and_the_point_by_point_path_store_the_same(rig: Rig, tmp_path: Path) -> None:
    for seq in range(30):
        rig.send("den-1", "telemetry", tele(seq))
    rig.ingest.process_pending()
    other = SQLiteStore(tmp_path / "other.sqlite3")
    second_view = Outbox(rig.outbox.path)
    try:
        slow = Writer(second_view, PointByPointStore(other), HubMetrics())
        assert slow.drain_once() == 30  # reads the same outbox rows, leaves them deleted
        rig.ingest.process_pending()
        for seq in range(30):
            rig.send("den-1", "telemetry", tele(seq))
        rig.ingest.process_pending()
        assert rig.writer.drain_once() == 30
        a = rig.store.query("light", "den-1", "power_w", 0, NOW * 2, 60_000)
        b = other.query("light", "den-1", "power_w", 0, NOW * 2, 60_000)
        assert a == b and a
        assert rig.store.seqs("light", "den-1") == other.seqs("light", "den-1") == list(range(30))
    finally:
        other.close()
        second_view.close()
