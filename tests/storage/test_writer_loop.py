"""The writer thread's loop and vitals, driven on the test's thread: how long it waits between retries, what
it tells the technician in the log (once per outage, not once per retry), when it pings, and what /healthz
will read. The loop's waits go through recording events, so nothing here sleeps."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from hub.ingest.outbox import Outbox
from hub.ingest.writer import MAX_BACKOFF_S, MIN_BACKOFF_S, Housekeeping, Writer
from hub.metrics import HubMetrics
from hub.storage.base import Point, StoreUnavailable
from hub.storage.sqlite_store import SQLiteStore
from tests.storage.points import light_points
from tests.storage.stubs import WriteOnlyStore

T0 = 1_700_000_040_000


class ScriptedStore(WriteOnlyStore):
    """Each write takes the next outcome of `script` (None: stored; an exception: raised), then stores."""

    name = "scripted"

    def __init__(self, script: Sequence[BaseException | None] = (), ping: bool | BaseException = True) -> None:
        self.script = list(script)
        self.ping_answer = ping
        self.stored: list[Point] = []
        self.pings = 0

    def write(self, points: Sequence[Point]) -> None:
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        self.stored.extend(points)

    def ping(self) -> bool:
        self.pings += 1
        if isinstance(self.ping_answer, BaseException):
            raise self.ping_answer
        return self.ping_answer


class Waits(threading.Event):
    """Stands in for the writer's stop event: records each wait and stops the loop after `rounds` of them."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = rounds
        self.timeouts: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.timeouts.append(timeout)
        if len(self.timeouts) >= self.rounds:
            self.set()
        return self.is_set()


class Idle(threading.Event):
    """Stands in for the wake event: an idle loop records its wait and carries on at once."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop = stop
        self.timeouts: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.timeouts.append(timeout)
        self.stop.set()  # one idle round is enough to see it
        return False


def writer_on(tmp_path: Path, store: ScriptedStore, points: int = 3, **kw: object) -> tuple[Writer, Outbox]:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    if points:
        outbox.commit(light_points("light-001", T0, points), [])
    return Writer(outbox, store, HubMetrics(), **kw), outbox  # type: ignore[arg-type]


def run(writer: Writer, rounds: int) -> Waits:
    """The loop on this thread, for `rounds` waits after failures (or one idle round)."""
    waits = Waits(rounds)
    writer._stop = waits
    writer._wake = Idle(waits)
    writer._run()
    return waits


# -- retries ---------------------------------------------------------------------------------------------


def test_retries_back_off_doubling_to_the_cap_and_start_again_once_the_store_is_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ScriptedStore([StoreUnavailable("influxd: connection refused")] * 8)  # then it answers
    writer, outbox = writer_on(tmp_path, store)
    caplog.set_level(logging.INFO, "hub.ingest.writer")
    waits = run(writer, rounds=99)  # eight failures, a success, then idle: stop
    assert waits.timeouts == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    assert (MIN_BACKOFF_S, MAX_BACKOFF_S) == (0.5, 15.0)
    assert writer._metrics.store_write_errors.total() == 8
    assert outbox.depth() == 0 and len(store.stored) == 3  # eight failures, nothing lost
    # One warning for the outage (at its start), naming the store and the cause, not one per retry; and one
    # line when it is back.
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "store scripted unavailable (influxd: connection refused); keeping points in the outbox"),
        (logging.INFO, "store scripted is back; draining the outbox"),
    ]
    assert writer.vitals.store_ok and writer.vitals.store_detail == "ok"
    outbox.close()


def test_while_down_the_health_says_why(tmp_path: Path) -> None:
    writer, outbox = writer_on(tmp_path, ScriptedStore([StoreUnavailable("influxd: connection refused")] * 3))
    run(writer, rounds=3)
    assert not writer.vitals.store_ok
    assert writer.vitals.store_detail == "write failed: influxd: connection refused"
    assert outbox.depth() == 3
    outbox.close()


def test_after_a_recovery_the_next_outage_starts_from_the_shortest_wait(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ScriptedStore([StoreUnavailable("down")] * 3 + [None] + [StoreUnavailable("down again")] * 2)
    writer, outbox = writer_on(tmp_path, store, points=0, batch=1)
    outbox.commit(light_points("light-001", T0, 3), [])  # batch=1: after the success, more is waiting
    waits = run(writer, rounds=99)
    assert waits.timeouts == [0.5, 1.0, 2.0, 0.5, 1.0]  # back to the shortest after the store took a batch
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "store scripted unavailable (down); keeping points in the outbox",
        "store scripted unavailable (down again); keeping points in the outbox",
    ]
    assert outbox.depth() == 0
    outbox.close()


def test_a_bug_in_the_store_client_is_logged_counted_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ScriptedStore([RuntimeError("client bug"), RuntimeError("client bug")])
    writer, outbox = writer_on(tmp_path, store)
    waits = run(writer, rounds=2)
    assert waits.timeouts == [0.5, 0.5]  # a bug is not an outage: no growing backoff
    assert writer._metrics.store_write_errors.total() == 2
    assert [r.getMessage() for r in caplog.records] == ["writer scripted failed; retrying"] * 2
    assert outbox.depth() == 3
    writer._stop.clear()
    run(writer, rounds=1)
    assert outbox.depth() == 0 and len(store.stored) == 3
    outbox.close()


def test_a_store_that_never_failed_is_written_without_a_word_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "hub.ingest.writer")
    store = ScriptedStore()
    writer, outbox = writer_on(tmp_path, store, points=3)
    run(writer, rounds=99)
    assert len(store.stored) == 3 and caplog.records == []
    outbox.close()


def test_an_idle_writer_waits_for_a_wake_up_with_a_short_timeout(tmp_path: Path) -> None:
    store = ScriptedStore()
    writer, outbox = writer_on(tmp_path, store, points=0)
    waits = Waits(rounds=99)
    idle = Idle(waits)
    writer._stop, writer._wake = waits, idle
    writer._run()
    assert idle.timeouts == [0.2] and waits.timeouts == []
    outbox.close()


# -- housekeeping from the loop ---------------------------------------------------------------------------


def test_the_loop_runs_housekeeping_when_due_and_survives_its_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    samples: list[Path] = []

    def broken_disk(path: Path) -> int:
        samples.append(path)
        raise RuntimeError("statvfs bug")

    store = ScriptedStore([StoreUnavailable("down")] * 4)
    writer, outbox = writer_on(tmp_path, store, housekeeping=Housekeeping(every_s=3600), free_bytes=broken_disk)
    run(writer, rounds=4)
    assert samples == [tmp_path]  # once at the start, then not again within the hour
    assert "writer housekeeping failed" in [r.getMessage() for r in caplog.records]
    assert outbox.depth() == 3  # housekeeping's failure did not stop the writes being retried
    outbox.close()


def test_housekeeping_every_round_when_the_interval_is_zero(tmp_path: Path) -> None:
    samples: list[Path] = []

    def disk(path: Path) -> int:
        samples.append(path)
        return 10 * 1024**3

    writer, outbox = writer_on(tmp_path, ScriptedStore([StoreUnavailable("down")] * 3),
                               housekeeping=Housekeeping(every_s=0), free_bytes=disk)
    run(writer, rounds=3)
    assert len(samples) == 3
    outbox.close()


# -- the ping, and what /healthz reads --------------------------------------------------------------------


def pinged(tmp_path: Path, store: ScriptedStore) -> tuple[Writer, Outbox]:
    # every_s=0: each check pings, as one does after a few idle seconds
    return writer_on(tmp_path, store, points=0, housekeeping=Housekeeping(every_s=0),
                     free_bytes=lambda _p: 10 * 1024**3)


def test_a_ping_that_raises_is_a_store_down_named_by_its_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer, outbox = pinged(tmp_path, ScriptedStore(ping=RuntimeError("no route to host")))
    writer.check_vitals()
    writer.check_vitals()
    assert not writer.store_ok
    assert writer.vitals.store_detail == "RuntimeError: no route to host"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["store scripted RuntimeError: no route to host"]  # once, on the change
    outbox.close()


def test_a_silent_store_is_named_and_its_recovery_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ScriptedStore(ping=False)
    writer, outbox = pinged(tmp_path, store)
    caplog.set_level(logging.INFO, "hub.ingest.writer")
    writer.check_vitals()
    assert (writer.store_ok, writer.vitals.store_detail) == (False, "does not answer its ping")
    assert [r.getMessage() for r in caplog.records] == ["store scripted does not answer its ping"]
    store.ping_answer = True
    writer.check_vitals()
    assert (writer.store_ok, writer.vitals.store_detail) == (True, "ok")
    assert [r.getMessage() for r in caplog.records][1:] == ["store scripted answers its ping again"]
    writer.check_vitals()  # still answering: nothing more to say
    assert len(caplog.records) == 2
    outbox.close()


def test_a_long_error_is_cut_to_300_characters(tmp_path: Path) -> None:
    writer, outbox = pinged(tmp_path, ScriptedStore(ping=RuntimeError("x" * 1000)))
    writer.check_vitals()
    assert len(writer.vitals.store_detail) == 300
    outbox.close()


def test_a_store_that_pings_but_refuses_writes_stays_degraded_until_a_write_lands(tmp_path: Path) -> None:
    store = ScriptedStore([StoreUnavailable("HTTP 500")], ping=True)
    writer, outbox = pinged(tmp_path, store)
    outbox.commit(light_points("light-001", T0, 2), [])
    with pytest.raises(StoreUnavailable):
        writer.drain_once()
    writer.check_vitals()  # it answers its ping ...
    assert (writer.store_ok, writer.vitals.store_detail) == (False, "write failed: HTTP 500")  # ... still degraded
    store.ping_answer = False
    writer.check_vitals()  # and now it stops answering too: the newest reason is shown
    assert writer.vitals.store_detail == "does not answer its ping"
    store.ping_answer = True
    assert writer.drain_once() == 2
    assert (writer.store_ok, writer.vitals.store_detail) == (True, "ok")
    outbox.close()


def test_a_store_that_answered_lately_is_not_pinged(tmp_path: Path) -> None:
    store = ScriptedStore()
    writer, outbox = writer_on(tmp_path, store, housekeeping=Housekeeping(every_s=3600),
                               free_bytes=lambda _p: 10 * 1024**3)
    writer.drain_once()
    writer.check_vitals()
    assert store.pings == 0
    outbox.close()


# -- the poison point ------------------------------------------------------------------------------------


def test_a_dead_lettered_point_is_counted_logged_and_kept_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ScriptedStore([ValueError("field type conflict"), ValueError("field type conflict")])
    writer, outbox = writer_on(tmp_path, store, points=0)
    outbox.commit(light_points("light-007", T0, 1), [])
    assert writer.drain_once() == 0
    assert writer._metrics.rejected.items() == [("unstorable", 1)]
    assert [r.getMessage() for r in caplog.records] == [
        "store scripted refused a point; dead-lettered: field type conflict"
    ]
    (letter,) = outbox.dead_letters()
    assert (letter.received_ms, letter.topic, letter.reason, letter.detail) == (
        T0, "light/light-007", "unstorable", "field type conflict")
    assert json.loads(letter.payload) == {"ts": T0, "seq": 0, "brightness": 0, "power_w": 10.0, "on": True}
    assert outbox.depth() == 0
    outbox.close()


def test_a_lone_point_refused_once_then_taken_is_written_not_dead_lettered(tmp_path: Path) -> None:
    store = ScriptedStore([ValueError("partial write")])
    writer, outbox = writer_on(tmp_path, store, points=1)
    assert writer.drain_once() == 1
    assert [p.seq for p in store.stored] == [0] and outbox.dead_letters() == []
    outbox.close()


# -- the embedded store's fast path ------------------------------------------------------------------------


class CopyingStore(SQLiteStore):
    """The embedded store, noting which way each batch came."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.ways: list[str] = []

    def copy_from_outbox(self, outbox: Path, last_id: int) -> None:
        super().copy_from_outbox(outbox, last_id)
        self.ways.append(f"copied up to {last_id}")

    def write(self, points: Sequence[Point]) -> None:
        super().write(points)
        self.ways.append(f"wrote {len(points)}")


@pytest.mark.parametrize("count", [1, 2, 7])
def test_the_embedded_store_takes_batches_straight_from_the_outbox_file(tmp_path: Path, count: int) -> None:
    store = CopyingStore(tmp_path / "telemetry.sqlite3")
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.commit(light_points("light-001", T0, count), [])
    writer = Writer(outbox, store, HubMetrics(), batch=5)
    assert writer.drain_once() == min(count, 5)
    assert store.ways == [f"copied up to {min(count, 5)}"]  # one statement, never point by point
    assert writer.drain_once() == count - min(count, 5)
    assert writer.drain_once() == 0
    assert store.count("light") == count and outbox.depth() == 0
    store.close()
    outbox.close()


# -- details /healthz and the technician see ----------------------------------------------------------------


def test_a_long_write_error_is_cut_to_300_characters(tmp_path: Path) -> None:
    writer, outbox = writer_on(tmp_path, ScriptedStore([StoreUnavailable("y" * 1000)]))
    with pytest.raises(StoreUnavailable):
        writer.drain_once()
    assert writer.vitals.store_detail == ("write failed: " + "y" * 1000)[:300]
    outbox.close()


def test_after_a_write_landed_the_ping_alone_says_again_whether_the_store_is_up(tmp_path: Path) -> None:
    store = ScriptedStore([StoreUnavailable("HTTP 500")])
    writer, outbox = pinged(tmp_path, store)
    outbox.commit(light_points("light-001", T0, 2), [])
    with pytest.raises(StoreUnavailable):
        writer.drain_once()
    assert writer.drain_once() == 2  # the store took the retry: the failed write is behind us
    store.ping_answer = False
    writer.check_vitals()
    assert not writer.store_ok
    store.ping_answer = True
    writer.check_vitals()
    assert (writer.store_ok, writer.vitals.store_detail) == (True, "ok")
    outbox.close()


def test_an_unreadable_disk_is_logged_and_the_last_sample_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def unreadable(path: Path) -> int:
        raise PermissionError(13, "Permission denied", str(path))

    writer, outbox = writer_on(tmp_path, ScriptedStore(), points=0, free_bytes=unreadable)
    writer.check_vitals()
    assert (writer.vitals.disk_free_bytes, writer.vitals.disk_low) == (-1, False)  # not sampled, not alarmed
    assert [r.getMessage() for r in caplog.records] == [
        f"cannot read the free space of {tmp_path}: [Errno 13] Permission denied: '{tmp_path}'"
    ]
    outbox.close()


@pytest.mark.parametrize(("free", "low"), [(200 * 1024 * 1024 - 1, True), (200 * 1024 * 1024, False)])
def test_the_disk_is_low_below_200_mb(tmp_path: Path, free: int, low: bool) -> None:
    writer, outbox = writer_on(tmp_path, ScriptedStore(), points=0, free_bytes=lambda _p: free)
    writer.check_vitals()
    assert (writer.vitals.disk_free_bytes, writer.vitals.disk_low) == (free, low)
    outbox.close()


def test_the_default_batch_is_5000_points(tmp_path: Path) -> None:
    store = ScriptedStore()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.commit(light_points("light-001", T0, 5001), [])
    writer = Writer(outbox, store, HubMetrics())
    assert writer.drain_once() == 5000 and writer.drain_once() == 1
    outbox.close()


def test_the_writer_runs_on_its_own_named_daemon_thread(tmp_path: Path) -> None:
    """Named, so a thread dump or py-spy says which thread is the writer; a daemon, so a hub that fails during
    start-up still exits."""
    writer, outbox = writer_on(tmp_path, ScriptedStore(), points=0)
    writer.start()
    try:
        (thread,) = [t for t in threading.enumerate() if t.name == "writer-scripted"]
        assert thread.daemon
    finally:
        writer.stop()
    assert not thread.is_alive()
    outbox.close()
