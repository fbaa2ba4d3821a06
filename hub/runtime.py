"""The composition root: builds the hub from settings, a site and a clock, starts its parts in order and
stops them in reverse. The FastAPI lifespan owns one.

Parts, in start order: the embedded broker (when no URL is set), the services of `SERVICES` (in that
order; each built from its spec with a narrow `ServiceContext`), the router's workers, the ingest (the
bridge: decode, commit, ack, then one observer: the router), the writer, the bus, companions (the demo
fleet). Tests pass a clock and per-service options; they never replace a service after it is built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from devices.contract import hub_availability_topic
from devices.site import Site
from hub.auth.service import Auth, auth_options
from hub.broadcasts.spec import SPEC as BROADCASTS
from hub.broker import EmbeddedBroker
from hub.bus.base import Bus
from hub.bus.mqtt import MqttBus, MqttOptions
from hub.cameras.spec import SPEC as CAMERAS
from hub.events import EventHub
from hub.ingest.decode import ClockBounds
from hub.ingest.outbox import DeadLetterLimits, Outbox
from hub.ingest.pipeline import Ingest, IngestOptions
from hub.ingest.writer import Housekeeping, Writer
from hub.lights.service import Lights
from hub.lights.spec import SPEC as LIGHTS
from hub.live.devices import SPEC as DEVICE_CHANGES
from hub.metrics import HubMetrics
from hub.registry import Registry
from hub.router import QUEUE_BOUND, Router
from hub.service import Service, ServiceContext, ServiceSpec
from hub.settings import Settings
from hub.statedb import MIGRATIONS, Migration, StateDB
from hub.storage.base import Point, TelemetryStore
from hub.storage.factory import open_store
from hub.timeutil import now_ms

log = logging.getLogger(__name__)

# The services, in start order (stopped in reverse). A new service adds one line (see hub/service.py).
SERVICES: tuple[ServiceSpec, ...] = (DEVICE_CHANGES, LIGHTS, BROADCASTS, CAMERAS)


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int


def broker_address(settings: Settings) -> BrokerAddress:
    if not settings.mqtt_url:
        return BrokerAddress("127.0.0.1", settings.embedded_broker_port)
    parts = urlsplit(settings.mqtt_url)
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise ValueError(f"HAMLET_MQTT_URL: expected mqtt://host:port, got {settings.mqtt_url!r}")
    return BrokerAddress(parts.hostname, parts.port or 1883)


def make_store(settings: Settings) -> TelemetryStore:
    return open_store(
        settings.influx_url or None,
        data_dir=settings.data_dir,
        version=settings.influx_version,
        database=settings.influx_database,
        username=settings.influx_username,
        password=settings.influx_password,
        token=settings.influx_token,
        org=settings.influx_org,
        bucket=settings.influx_bucket,
    )


def migrations(specs: Sequence[ServiceSpec] = SERVICES) -> tuple[Migration, ...]:
    """The core's migrations, then each service's in the services' order (ids already there are skipped)."""
    known = {m.id for m in MIGRATIONS}
    return MIGRATIONS + tuple(m for spec in specs for m in spec.migrations if m.id not in known)


def open_state(data_dir: Path, specs: Sequence[ServiceSpec] = SERVICES) -> StateDB:
    """data_dir/hub.sqlite3 with every migration the hub knows (the CLI must open it the same way)."""
    return StateDB(data_dir / "hub.sqlite3", migrations(specs))


class Companion(Protocol):
    """Something that runs beside the hub, started after it and stopped before it (the demo fleet)."""

    def start(self) -> object: ...

    def stop(self) -> object: ...


class Hub:
    def __init__(self, settings: Settings, site: Site, bus: Bus, store: TelemetryStore, outbox: Outbox,
                 broker: EmbeddedBroker | None = None, *, clock: Callable[[], int] = now_ms,
                 options: Mapping[str, object] | None = None, services: Sequence[ServiceSpec] = SERVICES,
                 queue_bound: int = QUEUE_BOUND) -> None:
        s = self.settings = settings
        self.site, self.bus, self.store, self.outbox, self.broker = site, bus, store, outbox, broker
        self.clock = clock
        self.metrics = HubMetrics()
        self.companions: list[Companion] = []
        self.events = EventHub()
        self.registry = Registry(site, stale_after_ms=s.mqtt_keepalive * 6 * 1000)
        # Hub state (users, sessions, invites, audit, and each service's tables) in data_dir/hub.sqlite3.
        self.state = open_state(s.data_dir, services)
        self.auth = Auth(self.state, auth_options(s))  # audit retention from the settings
        self.writer = Writer(outbox, store, self.metrics, s.writer_batch,
                             Housekeeping(min_free_bytes=s.min_free_disk_mb * 1024 * 1024))
        context = ServiceContext(s, site, clock, bus, self.registry, self.state, self.auth.audit, self.events,
                                 self.record, options or {})
        self.services: dict[str, Service] = {}
        for spec in services:
            if spec.name in self.services:
                raise ValueError(f"service {spec.name!r} is listed twice")
            self.services[spec.name] = spec.build(context)
        self.router = Router(list(self.services.values()), queue_bound)
        bounds = ClockBounds(s.max_clock_ahead_s * 1000, s.max_clock_behind_s * 1000)
        self.ingest = Ingest(bus, outbox, self.registry, self.metrics,
                             IngestOptions(site.id, s.ingest_batch, s.ingest_flush_ms, bounds), clock)
        self.ingest.observers.append(self.router.enqueue)  # the only one: services get theirs from the router
        self.ingest.on_committed.append(self.writer.wake)
        self.metrics.gauges["hamlet_outbox_depth"] = outbox.depth
        self.metrics.gauges["hamlet_broker_connected"] = lambda: float(self.bus.connected)
        self.metrics.gauges["hamlet_store_ok"] = lambda: float(self.writer.store_ok)
        self.metrics.gauges["hamlet_ingest_backlog"] = lambda: float(self.ingest.backlog)
        self.metrics.gauges["hamlet_dead_letters"] = lambda: float(outbox.dead_letter_rows())
        self.metrics.sections.append(self.router.render_metrics)

    @property
    def lights(self) -> Lights:
        """The street lights (for their routes and tests); a hub built without them has none."""
        lights = self.services.get("lights")
        if not isinstance(lights, Lights):
            raise LookupError("this hub runs no street-lights service")
        return lights

    def record(self, points: Sequence[Point]) -> None:
        """A service's own readings into the outbox, then to the store with the devices' (see ServiceContext)."""
        if points:
            self.outbox.commit(points, [])
            self.writer.wake()

    def health_flags(self) -> dict[str, bool]:
        """What the live feed's health event says: is the broker connected, does the store take writes."""
        return {"broker": bool(self.bus.connected), "store": bool(self.writer.store_ok)}

    def start(self) -> None:
        if self.broker is not None:
            self.broker.start()
        for service in self.services.values():
            service.start()
        self.router.start()  # after every service loaded its state: no batch or tick reaches one before
        self.ingest.start()
        self.writer.start()
        self.bus.start()
        if self.companions and not self.bus.wait_connected(15):
            log.warning("the hub is not connected to the broker yet; starting the simulated fleet anyway")
        # After our subscriptions are in place: the embedded broker drops connections that arrive while
        # another client subscribes, and the fleet's first messages would otherwise pass before we listen.
        for companion in self.companions:
            companion.start()

    def stop(self) -> None:
        for companion in reversed(self.companions):
            companion.stop()
        # Ingest first, while the bus is still connected: its last batch is committed AND acknowledged (a
        # PUBACK after the socket closed fails, and the broker would resend the batch at the next start).
        # What still arrives after this is never acknowledged, so the broker keeps it for the next run.
        self.ingest.stop()  # its last batch goes to the router
        self.bus.stop()
        self.router.stop()  # each service's worker handles what is queued, then ends
        for service in reversed(self.services.values()):
            try:
                service.stop()
            except Exception:  # the others still save theirs and the files still close
                log.exception("service %s failed to stop", service.name)
        self.writer.stop()
        self.store.close()
        self.outbox.close()
        self.auth.audit.flush(everything=True)  # the refusals counted in the last minute, as summary rows
        self.state.close()
        if self.broker is not None:
            self.broker.stop()


def build_hub(settings: Settings, site: Site, *, clock: Callable[[], int] = now_ms,
              options: Mapping[str, object] | None = None) -> Hub:
    """Wire a hub from settings: real MQTT (embedded amqtt when no URL is set) and the configured store."""
    address = broker_address(settings)
    broker = None if settings.mqtt_url else EmbeddedBroker(address.host, address.port)
    bus = MqttBus(
        MqttOptions(
            host=address.host,
            port=address.port,
            client_id=settings.mqtt_client_id,
            availability_topic=hub_availability_topic(site.id),
            username=settings.mqtt_username,
            password=settings.mqtt_password,
            keepalive=settings.mqtt_keepalive,
        )
    )
    data: Path = settings.data_dir
    limits = DeadLetterLimits(rows=settings.dead_letter_max_rows,
                              retention_ms=settings.dead_letter_retention_days * 86_400_000)
    return Hub(settings, site, bus, make_store(settings), Outbox(data / "outbox.sqlite3", limits), broker,
               clock=clock, options=options)
