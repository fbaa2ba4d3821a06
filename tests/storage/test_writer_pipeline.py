"""The writer's pipeline during a backlog (a store that takes concurrent writes, like influxd): batches
overlap, yet outbox rows go only up to a batch the store confirmed along with every batch before it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from hub.ingest.outbox import Outbox
from hub.ingest.writer import IN_FLIGHT, PIPELINE_ROUNDS, Writer
from hub.metrics import HubMetrics
from hub.storage.base import Point, StoreUnavailable
from tests.storage.points import light_points
from tests.storage.stubs import WriteOnlyStore

T0 = 1_700_000_040_000


class GatedStore(WriteOnlyStore):
    """Holds every write until released; the write whose first seq is in `fail` raises StoreUnavailable."""

    name = "gated"

    def __init__(self, fail: frozenset[int] = frozenset(), poison: int = -1) -> None:
        self.fail = fail
        self.poison = poison  # a point whose seq is this is refused as data (ValueError), with its batch
        self.started: list[int] = []  # first seq of each write, in the order they began
        self.landed: list[int] = []
        self.both_in_flight = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def write(self, points: Sequence[Point]) -> None:
        self.write_encoded(self.encode(points))

    def encode(self, points: Sequence[Point]) -> bytes:
        return json.dumps([p.seq for p in points]).encode()

    def write_encoded(self, body: bytes) -> None:
        seqs = json.loads(body)
        first = seqs[0]
        if self.poison in seqs:
            raise ValueError(f"seq {self.poison} cannot be stored")
        with self._lock:
            self.started.append(first)
            if len(self.started) - len(self.landed) >= 2:
                self.both_in_flight.set()
        if first:  # the first batch of a drain is written alone; the pipeline's wait for each other
            self.release.wait(5)
        if first in self.fail:
            raise StoreUnavailable(f"batch at seq {first} refused")
        with self._lock:
            self.landed.append(first)


def start(tmp_path: Path, store: GatedStore | SerialStore, count: int) -> tuple[Outbox, Writer, HubMetrics]:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.commit(light_points("light-001", T0, count), [])
    metrics = HubMetrics()
    return outbox, Writer(outbox, store, metrics, batch=10), metrics


def test_batches_overlap_and_every_row_goes_once_confirmed(tmp_path: Path) -> None:
    store = GatedStore()
    outbox, writer, metrics = start(tmp_path, store, 45)
    threading.Timer(0.2, store.release.set).start()
    written = writer.drain_once()
    assert store.both_in_flight.is_set()  # the second and third batches were at the store together
    assert written == 45 and metrics.points_written.total() == 45
    assert outbox.depth() == 0 and sorted(store.landed) == [0, 10, 20, 30, 40]
    outbox.close()


def test_a_failed_batch_keeps_itself_and_every_later_row_even_if_a_later_batch_landed(tmp_path: Path) -> None:
    store = GatedStore(fail=frozenset({10}))
    outbox, writer, metrics = start(tmp_path, store, 45)
    threading.Timer(0.2, store.release.set).start()
    with pytest.raises(StoreUnavailable, match="seq 10 refused"):
        writer.drain_once()
    assert 20 in store.landed  # in flight beside the failed one, and it landed ...
    assert outbox.depth() == 35  # ... yet only the first batch's rows went
    assert metrics.points_written.total() == 10
    _last, left = outbox.take(100)
    assert [p.seq for p in left] == list(range(10, 45))
    store.fail = frozenset()
    while writer.drain_once():  # the retry rewrites the landed batch too: points are keyed, no duplicate
        pass
    assert outbox.depth() == 0 and metrics.points_written.total() == 45
    outbox.close()


def test_a_refused_point_in_flight_is_read_again_and_only_it_is_dead_lettered(tmp_path: Path) -> None:
    store = GatedStore(poison=23)
    outbox, writer, metrics = start(tmp_path, store, 45)
    store.release.set()
    assert writer.drain_once() == 44
    assert outbox.depth() == 0 and metrics.points_written.total() == 44
    assert [d.reason for d in outbox.dead_letters()] == ["unstorable"]
    assert "seq 23 cannot be stored" in outbox.dead_letters()[0].detail
    outbox.close()


class SerialStore(WriteOnlyStore):
    """Writes only whole batches of points (no encode/write_encoded): not pipelined."""

    name = "serial"

    def __init__(self) -> None:
        self.gated = GatedStore()

    def write(self, points: Sequence[Point]) -> None:
        self.gated.write(points)


def test_a_store_that_does_not_say_so_is_written_one_batch_at_a_time(tmp_path: Path) -> None:
    store = SerialStore()
    outbox, writer, _ = start(tmp_path, store, 30)
    store.gated.release.set()
    assert writer.drain_once() == 10
    assert store.gated.started == [0]
    outbox.close()


def test_one_call_writes_at_most_the_first_batch_and_eight_pipelined_ones(tmp_path: Path) -> None:
    """A long backlog is written PIPELINE_ROUNDS batches per call, so the loop's housekeeping (pings, disk,
    pruning) still runs during hours of catching up."""
    store = GatedStore()
    store.release.set()
    outbox, writer, _ = start(tmp_path, store, 200)  # 20 batches of 10
    assert (IN_FLIGHT, PIPELINE_ROUNDS) == (2, 8)
    assert writer.drain_once() == 10 * (1 + PIPELINE_ROUNDS)
    assert outbox.depth() == 200 - 90
    assert writer.drain_once() == 90 and writer.drain_once() == 20 and writer.drain_once() == 0
    outbox.close()


class CountingStore(GatedStore):
    def __init__(self) -> None:
        super().__init__()
        self.encoded = 0

    def encode(self, points: Sequence[Point]) -> bytes:
        self.encoded += 1
        return super().encode(points)


def test_no_more_than_two_batches_are_read_and_encoded_ahead(tmp_path: Path) -> None:
    """Memory during a backlog: the writer holds the bodies of IN_FLIGHT batches, not more, while it waits."""
    store = CountingStore()
    outbox, writer, _ = start(tmp_path, store, 60)
    drain = threading.Thread(target=writer.drain_once)
    drain.start()
    assert store.both_in_flight.wait(5)
    time.sleep(0.2)  # time enough for a writer that reads further ahead to do so
    assert store.encoded == 1 + IN_FLIGHT  # the first batch (alone), then two in flight
    store.release.set()
    drain.join(5)
    assert outbox.depth() == 0
    outbox.close()


class ThreadNotingStore(GatedStore):
    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()

    def write_encoded(self, body: bytes) -> None:
        self.threads.add(threading.current_thread().name)
        super().write_encoded(body)


def test_pipelined_writes_run_on_the_writers_named_pool(tmp_path: Path) -> None:
    store = ThreadNotingStore()
    store.release.set()
    outbox, writer, _ = start(tmp_path, store, 30)
    assert writer.drain_once() == 30
    pool = store.threads - {threading.current_thread().name}
    assert pool and all(name.startswith("writer-gated-post") for name in pool)
    outbox.close()
