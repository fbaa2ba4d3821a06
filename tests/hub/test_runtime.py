"""The composition root: services built from specs with a clock and options, started in order and stopped in
reverse, their migrations applied; and the bridge's promise: a service that raises and one that blocks
never cost a commit or an ack, and the other services still see every message."""

from __future__ import annotations

import ast
import sqlite3
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.requests import Request

from devices.contract import Channel, Kind, topic
from hub.api.app import SERVICE_ROUTERS
from hub.api.deps import service_dep
from hub.api.health import assess_services
from hub.bus.memory import MemoryBroker, MemoryBus
from hub.lights.service import Lights
from hub.lights.spec import LightsOptions
from hub.router import WorkerStatus
from hub.runtime import SERVICES
from hub.service import Batch, Route, ServiceBase, ServiceContext, ServiceSpec
from hub.statedb import Migration
from hub.timeutil import now_ms
from tests.hub.apphub import memory_hub
from tests.hub.sites import small_site
from tests.support.waiting import eventually

SITE = small_site()
TELEMETRY: Route = (Kind.LIGHT, Channel.TELEMETRY)
LIGHTS = [d.id for d in SITE.devices if d.kind == Kind.LIGHT]


class Watcher(ServiceBase):
    def __init__(self, name: str, journal: list[str] | None = None) -> None:
        self.name = name
        self.wants = frozenset({TELEMETRY})
        self.seqs: list[int] = []
        self.resyncs = 0
        self.journal = journal if journal is not None else []

    def start(self) -> None:
        self.journal.append(f"start {self.name}")

    def stop(self) -> None:
        self.journal.append(f"stop {self.name}")

    def handle(self, batch: Batch) -> None:
        self.seqs.extend(item.point.seq for item in batch)

    def resync(self) -> None:
        self.resyncs += 1


class Broken(Watcher):
    def handle(self, batch: Batch) -> None:
        raise RuntimeError("a service's bug")


class Blocked(Watcher):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.entered = threading.Event()
        self.release = threading.Event()

    def handle(self, batch: Batch) -> None:
        self.entered.set()
        self.release.wait(30)
        super().handle(batch)


def spec_of(service: Watcher, migrations: tuple[Migration, ...] = ()) -> ServiceSpec:
    return ServiceSpec(service.name, lambda _ctx: service, migrations)


def telemetry(seq: int) -> bytes:
    return b'{"ts": %d, "seq": %d, "power_w": 40, "voltage_v": 220, "energy_wh": 1, "level": 80}' % (now_ms(), seq)


def publish(broker: MemoryBroker, seqs: range) -> None:
    device = broker.client()
    device.start()
    for seq in seqs:
        light = LIGHTS[seq % len(LIGHTS)]
        device.publish(topic(SITE.id, Kind.LIGHT, light, Channel.TELEMETRY), telemetry(seq))
    device.stop()


def stored_points(tmp: Path) -> int:
    with sqlite3.connect(tmp / "telemetry.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM points WHERE measurement = 'light'").fetchone()[0])


@pytest.fixture
def broker() -> MemoryBroker:
    return MemoryBroker()


def test_a_raising_and_a_blocked_service_cost_no_commit_no_ack_and_no_other_services_messages(
    tmp_path: Path, broker: MemoryBroker
) -> None:
    broken, blocked, watcher = Broken("broken"), Blocked("blocked"), Watcher("watcher")
    services = (*SERVICES, spec_of(broken), spec_of(blocked), spec_of(watcher))
    hub = memory_hub(tmp_path, SITE, broker, services=services, queue_bound=50)
    bus = hub.bus
    assert isinstance(bus, MemoryBus)
    hub.start()
    try:
        publish(broker, range(1, 2))
        assert blocked.entered.wait(10)  # its worker now sits in handle() with the first message
        total = 1
        for _ in range(15):  # bursts of 10: the others keep up, the blocked one's queue fills, then drops
            publish(broker, range(total + 1, total + 11))
            total += 10
            eventually(partial(lambda n: len(bus.acked) == n, total), 10, "every message acknowledged")
        eventually(lambda: stored_points(tmp_path) == total, 10, "every message in the store")
        eventually(lambda: sorted(watcher.seqs) == list(range(1, total + 1)), 10, "the watcher to see all")
        status = {s.name: s for s in hub.router.status()}
        assert status["broken"].errors >= 1 and status["broken"].alive
        assert status["blocked"].dropped > 0 and status["blocked"].behind  # counted, not waited for
        assert status["blocked"].depth <= 50 and status["blocked"].dropped >= total - 51
        metrics = hub.metrics.render()
        assert f'hamlet_service_dropped_total{{service="blocked"}} {status["blocked"].dropped}' in metrics
        assert status["lights"].handled == total and status["lights"].errors == 0
        parts, down, behind = assess_services(hub.router.status())  # what /healthz shows
        assert down == [] and [line.split(":")[0] for line in behind] == ["service blocked"]
        assert not parts["blocked"].ok and parts["broken"].ok and "1 errors" not in parts["watcher"].detail

        blocked.release.set()
        eventually(lambda: blocked.resyncs == 1, 10, "the blocked service's resync")
        after = {s.name: s for s in hub.router.status()}["blocked"]
        assert len(blocked.seqs) + after.dropped == total and not after.behind
        assert assess_services(hub.router.status())[2] == []  # caught up: /healthz is ok again
    finally:
        blocked.release.set()
        hub.stop()


def test_services_start_in_order_and_stop_in_reverse(tmp_path: Path) -> None:
    journal: list[str] = []
    first, second = Watcher("first", journal), Watcher("second", journal)
    hub = memory_hub(tmp_path, SITE, services=(spec_of(first), spec_of(second)))
    hub.start()
    hub.stop()
    assert journal == ["start first", "start second", "stop second", "stop first"]


def test_a_clock_and_options_reach_the_services_as_they_are_built(tmp_path: Path) -> None:
    seen: list[ServiceContext] = []

    def build(ctx: ServiceContext) -> Watcher:
        seen.append(ctx)
        return Watcher("probe")

    hub = memory_hub(tmp_path, SITE, clock=lambda: 1_234, options={"lights": LightsOptions(tick_s=0.05)},
                     services=(*SERVICES, ServiceSpec("probe", build)))
    assert seen[0].clock() == 1_234 and seen[0].registry is hub.registry
    assert hub.lights.tick_s == 0.05 and isinstance(hub.services["lights"], Lights)
    hub.state.close()
    with pytest.raises(TypeError, match="options for service 'lights': expected LightsOptions, got dict"):
        memory_hub(tmp_path / "other", SITE, options={"lights": {"tick_s": 1}})


def test_a_services_migrations_are_applied_and_named_after_it(tmp_path: Path) -> None:
    things = Migration("probe-001-things", "CREATE TABLE probe_things (id INTEGER PRIMARY KEY);")
    hub = memory_hub(tmp_path, SITE, services=(*SERVICES, spec_of(Watcher("probe"), (things,))))
    assert hub.state.scalar("SELECT count(*) FROM probe_things") == 0
    assert "probe-001-things" in hub.state.applied
    hub.state.close()
    with pytest.raises(ValueError, match="must start with 'probe-'"):
        spec_of(Watcher("probe"), (Migration("other-001", "SELECT 1;"),))


def test_every_service_router_belongs_to_a_listed_service() -> None:
    assert set(SERVICE_ROUTERS) <= {spec.name for spec in SERVICES}


@pytest.fixture
def app_with(tmp_path: Path) -> Iterator[FastAPI]:
    app = FastAPI()
    app.state.hub = memory_hub(tmp_path, SITE)
    yield app
    app.state.hub.state.close()


def test_a_route_gets_its_service_alone_or_a_503(app_with: FastAPI) -> None:
    request = Request({"type": "http", "app": app_with})
    assert service_dep("lights", Lights)(request) is app_with.state.hub.lights
    with pytest.raises(Exception, match="cameras service is not running") as raised:
        service_dep("cameras", Lights)(request)
    assert getattr(raised.value, "status_code", None) == 503


def test_a_dead_worker_degrades_health() -> None:
    dead = WorkerStatus("lights", 0, 10, 0, 0, 0, False, False)
    parts, down, behind = assess_services([dead])
    assert down == ["service lights: its worker stopped (0 queued, 10 handled, 0 dropped, 0 errors)"]
    assert behind == [] and not parts["lights"].ok


BRIDGE = ("hub/ingest", "hub/registry.py", "hub/domain.py")
SERVICE_SIDE = ("hub/lights", "hub/broadcasts", "hub/cameras", "hub/commands", "hub/scheduling", "hub/router.py",
                "hub/service.py", "hub/events.py", "hub/live")


def imported(paths: tuple[str, ...]) -> dict[str, set[str]]:
    """Each module file under `paths` -> the hub modules it imports (absolute imports; the hub uses no others)."""
    root = Path(__file__).resolve().parents[2]
    found: dict[str, set[str]] = {}
    for where in paths:
        base = root / where
        for file in [base] if base.is_file() else sorted(base.rglob("*.py")):
            tree = ast.parse(file.read_text(encoding="utf-8"))
            names = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
            names |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
            found[str(file.relative_to(root))] = {n for n in names if n.startswith("hub.")}
    return found


def test_the_bridge_knows_no_service_and_services_know_no_bridge_nor_api() -> None:
    """So several bridge workers can share a subscription (no service state in them), and a service can be
    tested and run without the ingest or the web layer."""
    to_services = {f: sorted(m for m in mods if m.startswith(tuple(p.replace("/", ".").removesuffix(".py")
                                                                  for p in SERVICE_SIDE)))
                   for f, mods in imported(BRIDGE).items()}
    assert {f: m for f, m in to_services.items() if m} == {}
    to_bridge = {f: sorted(m for m in mods if m.startswith(("hub.ingest", "hub.api", "hub.runtime", "hub.web")))
                 for f, mods in imported(SERVICE_SIDE).items()}
    assert {f: m for f, m in to_bridge.items() if m} == {}
