"""The ingest path on the in-memory bus: validate -> registry -> outbox -> ack -> writer -> store."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import tracemalloc
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from devices.contract import ingest_filters, topic
from hub.bus.base import Message
from hub.bus.memory import MemoryBroker, MemoryBus
from hub.domain import Accepted
from hub.ingest.outbox import DeadLetter, DeadLetterLimits, Outbox
from hub.ingest.pipeline import Ingest, IngestOptions
from hub.ingest.writer import Writer
from hub.metrics import HubMetrics
from hub.registry import Registry
from hub.storage.base import Bucket, Point, StoreUnavailable
from hub.storage.sqlite_store import SQLiteStore
from hub.timeutil import now_ms
from tests.hub.sites import small_site
from tests.support.waiting import eventually

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
    def __init__(self, tmp: Path, bus_type: type[MemoryBus] = MemoryBus, outbox: Outbox | None = None,
                 now: int = NOW) -> None:
        self.broker = MemoryBroker()
        self.hub_bus = bus_type(self.broker)
        self.device = self.broker.client()
        self.outbox = outbox or Outbox(tmp / "outbox.sqlite3")
        self.store = FlakyStore(tmp / "telemetry.sqlite3")
        self.metrics = HubMetrics()
        self.registry = Registry(SITE)
        self.now = now
        self.ingest = Ingest(self.hub_bus, self.outbox, self.registry, self.metrics, IngestOptions(SITE.id),
                             clock=lambda: self.now)
        self.writer = Writer(self.outbox, self.store, self.metrics)
        self.ingest.subscribe()  # no committer thread: each test calls process_pending itself
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


# -- ack only after commit ----------------------------------------------------------------------------------

EVENTS: list[tuple[str, int]] = []  # ("commit", mid) / ("ack", mid), in the order they happened


class SpyBus(MemoryBus):
    def ack(self, message: Message) -> None:
        EVENTS.append(("ack", message.mid))
        super().ack(message)


class SpyOutbox(Outbox):
    """Records which messages each commit covered (by the seq the test puts equal to the mid)."""

    fail = False

    def commit(self, points: Sequence[Point], dead: Sequence[DeadLetter],
               offsets: Mapping[str, int] | None = None) -> int:
        if self.fail:
            raise sqlite3.OperationalError("database or disk is full")
        pruned = super().commit(points, dead, offsets)
        EVENTS.extend(("commit", int(p.fields["seq"])) for p in points)
        EVENTS.extend(("commit", int(d.payload.decode().split(":")[1])) for d in dead)
        return pruned


def test_no_message_is_acked_before_the_commit_that_holds_it(tmp_path: Path) -> None:
    EVENTS.clear()
    rig = Rig(tmp_path, SpyBus, SpyOutbox(tmp_path / "outbox.sqlite3"))
    try:
        mid = 0
        for batch in range(3):
            for _ in range(7):
                mid += 1  # the memory broker numbers messages 1, 2, …: seq = mid ties a point to its message
                if mid % 5 == 0:
                    rig.send("den-1", "telemetry", f"bad:{mid}".encode())  # dead letters count too
                else:
                    rig.send("den-1", "telemetry", {**tele(mid), "seq": mid})
            assert rig.ingest.process_pending() == 7, batch
        committed: set[int] = set()
        for what, which in EVENTS:
            if what == "commit":
                committed.add(which)
            else:
                assert which in committed, f"message {which} acked before its batch was committed"
        assert sorted(m for what, m in EVENTS if what == "ack") == list(range(1, 22))
    finally:
        rig.close()


def test_a_failed_commit_acks_nothing_of_the_batch(tmp_path: Path) -> None:
    EVENTS.clear()
    outbox = SpyOutbox(tmp_path / "outbox.sqlite3")
    rig = Rig(tmp_path, SpyBus, outbox)
    try:
        for seq in range(1, 6):
            rig.send("den-1", "telemetry", {**tele(seq), "seq": seq})
        outbox.fail = True
        with pytest.raises(sqlite3.OperationalError):
            rig.ingest.process_pending()
        assert EVENTS == [] and rig.hub_bus.acked == []
        assert rig.ingest.commits.failures == 1 and "disk is full" in rig.ingest.commits.last_error
        assert rig.ingest.backlog == 5  # kept for the retry, in order
        outbox.fail = False
        assert rig.ingest.process_pending() == 5
        assert [m for what, m in EVENTS if what == "ack"] == [1, 2, 3, 4, 5]
        assert rig.ingest.commits.failures == 0
    finally:
        rig.close()


def test_a_full_disk_acks_nothing_and_loses_nothing_once_space_returns(rig: Rig) -> None:
    db = rig.outbox._db  # SQLite's own "database or disk is full", from a page cap on the outbox file
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    for seq in range(300):
        rig.send("den-1", "telemetry", tele(seq))
    for _ in range(3):  # the committer retries while the disk stays full
        with pytest.raises(sqlite3.OperationalError, match="full"):
            rig.ingest.process_pending()
    assert rig.hub_bus.acked == []
    assert rig.ingest.commits.failures == 3
    assert rig.metrics.commit_failures.total() == 3
    db.execute("PRAGMA max_page_count = 1073741823")  # space is back
    assert rig.ingest.process_pending() == 300
    assert len(rig.hub_bus.acked) == 300
    while rig.writer.drain_once():
        pass
    assert rig.store.seqs("light", "den-1") == list(range(300))


# -- every reading keeps its own key ------------------------------------------------------------------------


def test_availability_changes_in_one_batch_and_across_batches_do_not_overwrite(rig: Rig) -> None:
    for word in (b"online", b"offline", b"online"):
        rig.send("den-2", "availability", word)
    rig.ingest.process_pending()
    rig.send("den-2", "availability", b"offline")  # same (frozen) clock, next batch
    rig.ingest.process_pending()
    while rig.writer.drain_once():
        pass
    assert rig.store.count("availability", "den-2") == 4


def test_a_seconds_clock_at_five_messages_a_second_keeps_every_reading(rig: Rig) -> None:
    start = NOW // 1000 - 60
    for seq in range(200):
        rig.send("den-1", "telemetry", {**tele(seq), "ts": start + seq // 5})
    rig.ingest.process_pending()
    while rig.writer.drain_once():
        pass
    assert rig.store.seqs("light", "den-1") == list(range(200))
    assert rig.metrics.clock_replaced.total() == 200


def test_a_redelivery_after_a_crash_between_commit_and_ack_lands_on_itself(tmp_path: Path) -> None:
    hours_off = [{**tele(seq), "ts": NOW + 3 * 3_600_000 + 100 * seq} for seq in range(50)]
    first = Rig(tmp_path)
    for body in hours_off:
        first.send("den-1", "telemetry", body)
    first.ingest.process_pending()  # committed (offset included) ...
    first.close()  # ... and the hub dies before the broker saw the acks
    # The restarted hub: a minute later, same outbox file; the broker sends every message again.
    second = Rig(tmp_path, now=NOW + 60_000)
    try:
        for body in hours_off:
            second.send("den-1", "telemetry", body)
        second.ingest.process_pending()
        while second.writer.drain_once():
            pass
        assert second.store.seqs("light", "den-1") == list(range(50))  # 50 readings, not 100
        assert second.store.count("light", "den-1") == 50
    finally:
        second.close()


# -- caps: topics, details, dead letters --------------------------------------------------------------------


def test_dead_letters_are_cut_capped_and_expire(tmp_path: Path) -> None:
    limits = DeadLetterLimits(payload_bytes=100, topic_chars=64, detail_chars=80, rows=50,
                              retention_ms=3_600_000)
    rig = Rig(tmp_path, outbox=Outbox(tmp_path / "outbox.sqlite3", limits))
    try:
        for i in range(120):
            rig.hub_bus.deliver(Message(f"hamlet/v1/{SITE.id}/light/{'x' * 40}{i}/telemetry", b"y" * 5000, 1,
                                        False, i + 1))
        rig.ingest.process_pending()
        letters = rig.outbox.dead_letters(limit=1000)
        assert 0 < len(letters) <= 50
        assert rig.outbox.dead_letter_rows() == len(letters)
        assert all(len(d.topic) <= 64 and len(d.payload) <= 100 and len(d.detail) <= 80 for d in letters)
        assert letters[0].topic.startswith(f"hamlet/v1/{SITE.id}/light/")  # the newest are kept
        assert rig.metrics.dead_letters_pruned.total() == 120 - len(letters)
        rig.now = NOW + 3_600_001  # an hour later: all past their retention
        writer = Writer(rig.outbox, rig.store, rig.metrics, clock=lambda: rig.now)
        writer.check_vitals()
        assert rig.outbox.dead_letters() == [] and rig.outbox.dead_letter_rows() == 0
        assert rig.metrics.dead_letters_pruned.total() == 120
    finally:
        rig.close()


def test_odd_topics_do_not_grow_the_metric_labels(rig: Rig) -> None:
    for i in range(100):
        rig.ingest.receive(Message(f"junk/{i}/level{i}", b"{}", 1, False, i + 1))
    rig.send("den-1", "telemetry", tele(1))
    rig.ingest.process_pending()
    assert dict(rig.metrics.messages_in.items()) == {"other": 100, "telemetry": 1}


class CountingBus(MemoryBus):
    """Counts acks instead of keeping every acknowledged message (which would be the test's own leak)."""

    count = 0

    def ack(self, message: Message) -> None:
        self.count += 1


def test_memory_stays_flat_under_10000_unique_30_kib_topics(tmp_path: Path) -> None:
    rig = Rig(tmp_path, CountingBus)
    assert isinstance(rig.hub_bus, CountingBus)
    try:
        def flood(first: int, count: int) -> None:
            for i in range(first, first + count):
                level = f"{i:08d}" + "z" * 30_712  # a unique 30 KiB device level
                rig.ingest.receive(Message(f"hamlet/v1/{SITE.id}/light/{level}/telemetry", json.dumps(tele(i)).encode(),
                                           1, False, i + 1))
                if (i + 1) % 500 == 0:
                    rig.ingest.process_pending()

        flood(0, 500)  # warm-up: imports, caches, SQLite statements
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot()
            flood(500, 10_000)
            grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
        finally:
            tracemalloc.stop()
        assert grown < 20 * 1024 * 1024, f"grew {grown / 1e6:.1f} MB"
        assert rig.hub_bus.count == 10_500
        assert rig.outbox.dead_letter_rows() <= rig.outbox.limits.rows
        assert all(len(d.topic) <= rig.outbox.limits.topic_chars and len(d.detail) <= 300
                   for d in rig.outbox.dead_letters(limit=20))
    finally:
        rig.close()


# -- a service's bug never costs a batch --------------------------------------------------------------------


def test_a_raising_registry_listener_or_observer_loses_nothing(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []

    def broken(_device: object) -> None:
        raise RuntimeError("listener bug")

    def also_broken(_batch: list[Accepted]) -> None:
        raise RuntimeError("observer bug")

    rig.registry.add_listener(broken)
    rig.ingest.observers.extend([also_broken, lambda batch: seen.extend(int(a.point.seq) for a in batch)])
    for seq in range(5):
        rig.send("den-1", "telemetry", tele(seq))
    assert rig.ingest.process_pending() == 5
    assert len(rig.hub_bus.acked) == 5 and rig.outbox.depth() == 5
    assert seen == [0, 1, 2, 3, 4]
    # Each bug is in the log, with its traceback, for the technician (once per message and per batch).
    logged = [(r.getMessage(), r.exc_info is not None) for r in caplog.records if r.name == "hub.ingest.pipeline"]
    assert logged.count(("registry update failed (the batch is committed and acknowledged)", True)) == 5
    assert logged.count(("ingest observer failed", True)) == 1


# -- prompt and bulk acknowledgements -----------------------------------------------------------------------


class BulkBus(MemoryBus):
    """A bus that acknowledges in bulk, like MqttBus.ack_many."""

    def __init__(self, broker: MemoryBroker) -> None:
        super().__init__(broker)
        self.bulk_calls: list[int] = []

    def ack_many(self, messages: Sequence[Message]) -> None:
        self.bulk_calls.append(len(messages))
        self.acked.extend(messages)


def test_a_batch_is_acknowledged_in_one_bulk_call_when_the_bus_can(tmp_path: Path) -> None:
    rig = Rig(tmp_path, BulkBus)
    try:
        for seq in range(40):
            rig.send("den-1", "telemetry", tele(seq))
        assert rig.ingest.process_pending() == 40
        assert isinstance(rig.hub_bus, BulkBus) and rig.hub_bus.bulk_calls == [40]
        assert len(rig.hub_bus.acked) == 40
    finally:
        rig.close()


def test_a_message_into_an_empty_queue_does_not_wait_for_the_flush_timer(tmp_path: Path) -> None:
    broker = MemoryBroker()
    bus, device = broker.client(), broker.client()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    # A flush timer of ten seconds: only the prompt wake-up can commit the message before it fires.
    ingest = Ingest(bus, outbox, Registry(SITE), HubMetrics(), IngestOptions(SITE.id, flush_ms=10_000),
                    clock=lambda: NOW)
    ingest.start()
    bus.start()
    device.start()
    try:
        time.sleep(0.1)  # the committer is asleep on its timer now
        device.publish(topic(SITE.id, "light", "den-1", "ack"),
                       json.dumps({"ts": NOW, "seq": 1, "command_id": "c1", "ok": True}).encode())
        eventually(lambda: len(bus.acked) == 1, timeout=5, what="the ack committed and acknowledged")
    finally:
        ingest.stop()
        outbox.close()


class GatedOutbox(Outbox):
    """An outbox whose commits wait for the test to open the gate (a slow disk)."""

    gate = threading.Event()

    def commit(self, points: Sequence[Point], dead: Sequence[DeadLetter],
               offsets: Mapping[str, int] | None = None) -> int:
        self.gate.wait(10)
        return super().commit(points, dead, offsets)


def test_a_backlog_waits_in_the_broker_not_in_the_hubs_memory(tmp_path: Path) -> None:
    broker = MemoryBroker()
    bus, device = broker.client(), broker.client()
    outbox = GatedOutbox(tmp_path / "outbox.sqlite3")
    GatedOutbox.gate.clear()
    ingest = Ingest(bus, outbox, Registry(SITE), HubMetrics(), IngestOptions(SITE.id, batch=10, max_pending=50),
                    clock=lambda: NOW)
    ingest.start()
    bus.start()
    device.start()
    sender = threading.Thread(target=lambda: [device.publish(topic(SITE.id, "light", "den-1", "telemetry"),
                                                             json.dumps(tele(seq)).encode())
                                              for seq in range(300)])
    sender.start()
    try:
        eventually(lambda: ingest.backlog >= 50, timeout=10, what="the queue full")
        time.sleep(0.3)  # the sender is held back now: the queue does not grow past its bound
        assert ingest.backlog == 50 and sender.is_alive()
        GatedOutbox.gate.set()
        sender.join(20)
        eventually(lambda: len(bus.acked) == 300, timeout=20, what="every message committed and acked")
    finally:
        GatedOutbox.gate.set()
        ingest.stop()
        outbox.close()


def test_now_is_the_wall_clock_in_whole_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    now = now_ms()
    assert isinstance(now, int) and before <= now <= time.time_ns() // 1_000_000


def message(seq: int) -> Message:
    return Message(topic(SITE.id, "light", "den-1", "telemetry"), json.dumps(tele(seq)).encode(), qos=1, mid=seq)


def test_the_committer_is_woken_by_the_first_message_and_by_a_full_batch(tmp_path: Path) -> None:
    """Between the two, messages wait for the flush timer, so a burst is committed in batches."""
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    ingest = Ingest(MemoryBus(MemoryBroker()), outbox, Registry(SITE), HubMetrics(),
                    IngestOptions(SITE.id, batch=3), clock=lambda: NOW)
    woken = []
    for seq in range(7):
        ingest.receive(message(seq))
        woken.append(ingest._wake.is_set())
        ingest._wake.clear()
    assert woken == [True, False, True, True, True, True, True]  # depth 1, 2, 3, 4 ... (>= a batch: at once)
    outbox.close()


def test_a_test_driving_the_committer_itself_is_never_held_back(tmp_path: Path) -> None:
    """Back-pressure waits for the committer thread; without one (process_pending called by hand) the bus
    thread must not block, whatever the queue's depth."""
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    ingest = Ingest(MemoryBus(MemoryBroker()), outbox, Registry(SITE), HubMetrics(),
                    IngestOptions(SITE.id, max_pending=2), clock=lambda: NOW)

    def send() -> None:
        for seq in range(5):
            ingest.receive(message(seq))

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    sender.join(5)
    assert not sender.is_alive() and ingest.backlog == 5
    assert ingest.process_pending() == 5 and outbox.depth() == 5
    outbox.close()


class SubscriptionsBus(MemoryBus):
    def __init__(self, broker: MemoryBroker) -> None:
        super().__init__(broker)
        self.subscriptions: list[tuple[str, int]] = []

    def subscribe(self, topic_filter: str, handler: Any, qos: int = 0) -> None:
        self.subscriptions.append((topic_filter, qos))
        super().subscribe(topic_filter, handler, qos)


def test_the_hub_subscribes_to_every_device_channel_at_qos_1(tmp_path: Path) -> None:
    """QoS 1 with manual acks is the delivery guarantee: at QoS 0 the broker forgets a message once sent, at
    QoS 2 a redelivery after a crash would wait on the exactly-once handshake the hub does not keep."""
    bus = SubscriptionsBus(MemoryBroker())
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    Ingest(bus, outbox, Registry(SITE), HubMetrics(), IngestOptions(SITE.id)).subscribe()
    assert bus.subscriptions == [(f, 1) for f in ingest_filters(SITE.id)]
    outbox.close()


class ReceiveTimedBus(MemoryBus):
    """A bus that knows its network thread's receive cost, as MqttBus does."""

    rx_cpu_ns = 9_000
    rx_messages = 3


def test_stop_logs_where_the_committers_time_went(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """bench/ingest.py reads this line: the stages per message, and the bus thread's receive cost."""
    caplog.set_level(logging.INFO, "hub.ingest.pipeline")
    for bus_type, receive in ((ReceiveTimedBus, "receive 3.0, "), (MemoryBus, "")):
        rig = Rig(tmp_path / bus_type.__name__, bus_type)
        rig.send("den-1", "telemetry", tele(1))
        rig.send("den-1", "telemetry", tele(2))
        assert rig.ingest.process_pending() == 2
        caplog.clear()
        rig.close()
        (line,) = [r.getMessage() for r in caplog.records if r.name == "hub.ingest.pipeline"]
        assert line.startswith(f"ingest stages, µs/msg over 2 messages: {receive}decode ")
        assert line.endswith(" (1 batches)")
    caplog.clear()
    idle = Rig(tmp_path / "idle")
    idle.close()
    assert [r for r in caplog.records if r.name == "hub.ingest.pipeline"] == []  # nothing to say


class FailingOnceOutbox(Outbox):
    """The first commit fails as a full disk would; the next ones work."""

    failed = False

    def commit(self, points: Sequence[Point], dead: Sequence[DeadLetter],
               offsets: Mapping[str, int] | None = None) -> int:
        if not self.failed:
            self.failed = True
            raise sqlite3.OperationalError("database or disk is full")
        return super().commit(points, dead, offsets)


def test_a_failed_commit_is_retried_by_the_committer_without_new_traffic(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The batch goes back to the queue and nothing else arrives: the committer's own timer retries it."""
    broker = MemoryBroker()
    bus, device = broker.client(), broker.client()
    outbox = FailingOnceOutbox(tmp_path / "outbox.sqlite3")
    ingest = Ingest(bus, outbox, Registry(SITE), HubMetrics(), IngestOptions(SITE.id), clock=lambda: NOW)
    ingest.start()
    bus.start()
    device.start()
    try:
        device.publish(topic(SITE.id, "light", "den-1", "telemetry"), json.dumps(tele(1)).encode())
        eventually(lambda: len(bus.acked) == 1, timeout=10, what="the message committed on the retry")
        assert outbox.failed and outbox.depth() == 1 and ingest.commits.failures == 0
        (record,) = [r for r in caplog.records if r.name == "hub.ingest.pipeline"]
        assert record.getMessage() == "ingest commit failed; messages stay unacknowledged"
        assert record.exc_info is not None and "disk is full" in str(record.exc_info[1])
    finally:
        ingest.stop()
        outbox.close()


class OffsetsSpyOutbox(Outbox):
    """Notes the clock offsets each commit writes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.written_offsets: list[dict[str, int]] = []

    def commit(self, points: Sequence[Point], dead: Sequence[DeadLetter],
               offsets: Mapping[str, int] | None = None) -> int:
        self.written_offsets.append(dict(offsets or {}))
        return super().commit(points, dead, offsets)


def test_a_devices_clock_offset_is_set_once_then_kept_and_not_written_again(tmp_path: Path) -> None:
    rig = Rig(tmp_path, outbox=OffsetsSpyOutbox(tmp_path / "outbox.sqlite3"))
    outbox = rig.outbox
    assert isinstance(outbox, OffsetsSpyOutbox)
    try:
        hours_off = NOW + 3 * 3_600_000
        rig.send("den-1", "telemetry", {**tele(1), "ts": hours_off})
        rig.ingest.process_pending()
        rig.now += 5_000  # the next batch is committed five seconds later, as the device's clock says too
        rig.send("den-1", "telemetry", {**tele(2), "ts": hours_off + 5_000})
        rig.ingest.process_pending()
        (offset,) = outbox.written_offsets[0].values()
        assert outbox.written_offsets == [{"den-1": offset}, {}]  # set by the first batch, kept after it
        _last, points = outbox.take(10)
        assert [p.ts_ms for p in points] == [hours_off + offset, hours_off + 5_000 + offset]
    finally:
        rig.close()


def test_availability_gets_whole_number_serials_in_place_of_seq(rig: Rig) -> None:
    for word in (b"online", b"offline", b"online"):
        rig.send("den-2", "availability", word)
    rig.ingest.process_pending()
    _last, points = rig.outbox.take(10)
    seqs = [p.seq for p in points]
    assert all(type(s) is int for s in seqs) and len(set(seqs)) == 3


def test_one_call_commits_at_most_one_batch(tmp_path: Path) -> None:
    broker = MemoryBroker()
    bus = MemoryBus(broker)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    ingest = Ingest(bus, outbox, Registry(SITE), HubMetrics(), IngestOptions(SITE.id, batch=3), clock=lambda: NOW)
    for seq in range(7):
        ingest.receive(message(seq))
    assert [ingest.process_pending() for _ in range(4)] == [3, 3, 1, 0]
    outbox.close()


def test_a_failed_commit_is_told_to_healthz_with_its_error_and_time(tmp_path: Path) -> None:
    outbox = FailingOnceOutbox(tmp_path / "outbox.sqlite3")
    rig = Rig(tmp_path, outbox=outbox)
    try:
        rig.send("den-1", "telemetry", tele(1))
        with pytest.raises(sqlite3.OperationalError):
            rig.ingest.process_pending()
        health = rig.ingest.commits
        assert (health.failures, health.last_error, health.last_failure_ms) == (
            1, "OperationalError: database or disk is full", NOW)
        assert rig.hub_bus.acked == []
        assert rig.ingest.process_pending() == 1 and health.failures == 0
    finally:
        rig.close()


def test_a_long_commit_error_is_cut_to_300_characters(tmp_path: Path) -> None:
    class Wordy(Outbox):
        def commit(self, points: Sequence[Point], dead: Sequence[DeadLetter],
                   offsets: Mapping[str, int] | None = None) -> int:
            raise sqlite3.OperationalError("z" * 1000)

    rig = Rig(tmp_path, outbox=Wordy(tmp_path / "outbox.sqlite3"))
    try:
        rig.send("den-1", "telemetry", tele(1))
        with pytest.raises(sqlite3.OperationalError):
            rig.ingest.process_pending()
        assert rig.ingest.commits.last_error == ("OperationalError: " + "z" * 1000)[:300]
    finally:
        rig.close()


def test_the_committer_runs_on_its_own_named_daemon_thread(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    ingest = Ingest(MemoryBus(MemoryBroker()), outbox, Registry(SITE), HubMetrics(), IngestOptions(SITE.id))
    ingest.start()
    try:
        (thread,) = [t for t in threading.enumerate() if t.name == "ingest-committer"]
        assert thread.daemon
    finally:
        ingest.stop()
    assert not thread.is_alive()
    outbox.close()
