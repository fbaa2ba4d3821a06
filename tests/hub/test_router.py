"""The router on its own: messages go by (kind, channel) to the services that want them, in order and in
batches; a full queue drops, counts and resyncs instead of waiting; a raising handler is counted and the
next batch still comes; ticks run on the service's worker; stop drains the queue first."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from devices.contract import Channel, DeviceTopic, Kind
from hub.domain import Accepted
from hub.router import Router, ServiceWorker
from hub.service import Batch, Route, ServiceBase, latest
from hub.storage.base import Point
from tests.support.waiting import eventually


def msg(device: str, channel: Channel, kind: Kind = Kind.LIGHT, n: int = 0) -> Accepted:
    where = DeviceTopic("s", kind, device, channel)
    return Accepted(where, Point(kind.value, "s", device, "g", n, {"n": n}), None)


class Recorder(ServiceBase):
    def __init__(self, name: str, wants: Sequence[Route], tick_s: float | None = None) -> None:
        self.name, self.wants, self.tick_s = name, frozenset(wants), tick_s
        self.batches: list[list[Accepted]] = []
        self.ticks = 0
        self.resyncs = 0
        self.threads: set[str] = set()

    def handle(self, batch: Batch) -> None:
        self.threads.add(threading.current_thread().name)
        self.batches.append(list(batch))

    def tick(self) -> None:
        self.threads.add(threading.current_thread().name)
        self.ticks += 1

    def resync(self) -> None:
        self.resyncs += 1

    def seen(self) -> list[Accepted]:
        return [item for batch in self.batches for item in batch]


def test_each_service_gets_only_its_routes_in_order() -> None:
    lights = Recorder("lights", [(Kind.LIGHT, Channel.STATE), (Kind.LIGHT, Channel.ACK)])
    devices = Recorder("devices", [(Kind.LIGHT, Channel.STATE), (Kind.CAMERA, Channel.STATE)])
    router = Router([lights, devices])
    assert router.routes() == {(Kind.LIGHT, Channel.STATE): ("lights", "devices"),
                               (Kind.LIGHT, Channel.ACK): ("lights",), (Kind.CAMERA, Channel.STATE): ("devices",)}
    batch = [msg("den-1", Channel.STATE, n=1), msg("den-1", Channel.TELEMETRY, n=2), msg("den-1", Channel.ACK, n=3),
             msg("cam-1", Channel.STATE, Kind.CAMERA, n=4), msg("den-2", Channel.STATE, n=5)]
    router.start()
    router.enqueue(batch)
    router.stop()  # drains first
    assert [a.point.ts_ms for a in lights.seen()] == [1, 3, 5]
    assert [a.point.ts_ms for a in devices.seen()] == [1, 4, 5]
    assert lights.threads == {"svc-lights"} and devices.threads == {"svc-devices"}
    assert [(s.name, s.handled, s.dropped, s.errors) for s in router.status()] == [
        ("lights", 3, 0, 0), ("devices", 3, 0, 0)]


def test_a_backlog_reaches_the_service_as_one_batch_it_can_coalesce() -> None:
    service = Recorder("lights", [(Kind.LIGHT, Channel.STATE)])
    worker = ServiceWorker(service)
    for n in range(5):  # queued while the worker is not running, as during a burst
        worker.offer([msg("den-1", Channel.STATE, n=n), msg("den-2", Channel.STATE, n=10 + n)])
    worker.start()
    worker.stop()
    assert len(service.batches) == 1 and len(service.batches[0]) == 10
    newest = latest(service.batches[0], Channel.STATE)
    assert {d: a.point.ts_ms for d, a in newest.items()} == {"den-1": 4, "den-2": 14}


def test_a_full_queue_drops_counts_and_resyncs_without_waiting() -> None:
    release = threading.Event()
    entered = threading.Event()

    class Stuck(Recorder):
        def handle(self, batch: Batch) -> None:
            entered.set()
            release.wait(10)
            super().handle(batch)

    service = Stuck("slow", [(Kind.LIGHT, Channel.STATE)])
    router = Router([service], bound=3)
    router.start()
    router.enqueue([msg("den-1", Channel.STATE, n=0)])
    assert entered.wait(5)  # the worker is stuck inside handle with the first batch
    router.enqueue([msg("den-1", Channel.STATE, n=n) for n in (1, 2)])  # fits: 2 of 3
    router.enqueue([msg("den-1", Channel.STATE, n=n) for n in (3, 4)])  # would make 4: dropped at once
    (status,) = router.status()
    assert (status.depth, status.dropped, status.behind, status.ok) == (2, 2, True, False)
    lines = router.render_metrics()
    assert 'hamlet_service_dropped_total{service="slow"} 2' in lines
    assert 'hamlet_service_queue_depth{service="slow"} 2' in lines
    assert 'hamlet_service_behind{service="slow"} 1' in lines
    release.set()
    eventually(lambda: service.resyncs == 1, 5, "the resync after the drop")
    router.stop()
    assert [a.point.ts_ms for a in service.seen()] == [0, 1, 2]
    (status,) = router.status()
    assert (status.dropped, status.resyncs, status.behind) == (2, 1, False)


def test_a_raising_handler_is_counted_and_the_next_batch_still_comes() -> None:
    class Flaky(Recorder):
        def handle(self, batch: Batch) -> None:
            super().handle(batch)
            if len(self.batches) == 1:
                raise RuntimeError("a bug in the first batch")

    service = Flaky("flaky", [(Kind.LIGHT, Channel.ACK)])
    router = Router([service])
    router.start()
    router.enqueue([msg("den-1", Channel.ACK, n=1)])
    eventually(lambda: router.status()[0].errors == 1, 5, "the first batch to fail")
    router.enqueue([msg("den-1", Channel.ACK, n=2)])
    router.stop()
    assert [a.point.ts_ms for a in service.seen()] == [1, 2]
    assert router.status()[0].errors == 1


def test_ticks_run_on_the_services_worker_and_a_service_without_routes_still_ticks() -> None:
    service = Recorder("timers", [], tick_s=0.01)
    quiet = Recorder("quiet", [])  # neither routes nor a tick: no worker at all
    router = Router([service, quiet])
    assert [w.service.name for w in router.workers] == ["timers"]
    router.start()
    eventually(lambda: service.ticks >= 3, 5, "three ticks")
    router.stop()
    assert service.threads == {"svc-timers"}


def test_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Router([Recorder("a", []), Recorder("a", [])])
