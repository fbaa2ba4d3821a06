"""The running hub: builds the broker (embedded when none is configured), bus, outbox, store, registry,
ingest and writer, starts them in order and stops them in reverse. The FastAPI lifespan owns one."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from devices.contract import hub_availability_topic
from devices.site import Site
from hub.auth.service import Auth
from hub.broker import EmbeddedBroker
from hub.bus.base import Bus
from hub.bus.mqtt import MqttBus, MqttOptions
from hub.ingest.decode import ClockBounds
from hub.ingest.outbox import Outbox
from hub.ingest.pipeline import Ingest, IngestOptions
from hub.ingest.writer import Writer
from hub.lights.service import Lights
from hub.metrics import HubMetrics
from hub.registry import Registry
from hub.settings import Settings
from hub.statedb import StateDB
from hub.storage.base import TelemetryStore
from hub.storage.factory import open_store

log = logging.getLogger(__name__)


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


class Companion(Protocol):
    """Something that runs beside the hub, started after it and stopped before it (the demo fleet)."""

    def start(self) -> object: ...

    def stop(self) -> object: ...


@dataclass
class Hub:
    settings: Settings
    site: Site
    bus: Bus
    store: TelemetryStore
    outbox: Outbox
    broker: EmbeddedBroker | None = None
    metrics: HubMetrics = field(default_factory=HubMetrics)
    companions: list[Companion] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        self.registry = Registry(self.site, stale_after_ms=s.mqtt_keepalive * 6 * 1000)
        options = IngestOptions(
            self.site.id, s.ingest_batch, s.ingest_flush_ms,
            ClockBounds(s.max_clock_ahead_s * 1000, s.max_clock_behind_s * 1000),
        )
        self.ingest = Ingest(self.bus, self.outbox, self.registry, self.metrics, options)
        self.writer = Writer(self.outbox, self.store, self.metrics, s.writer_batch)
        self.ingest.on_committed.append(self.writer.wake)
        self.metrics.gauges["hamlet_outbox_depth"] = self.outbox.depth
        self.metrics.gauges["hamlet_broker_connected"] = lambda: float(self.bus.connected)
        self.metrics.gauges["hamlet_store_ok"] = lambda: float(self.writer.store_ok)
        # Hub state (users, sessions, invites, audit; later schedules and commands) in data_dir/hub.sqlite3.
        self.state = StateDB(s.data_dir / "hub.sqlite3")
        self.auth = Auth(self.state)
        self.lights = Lights(self.bus, self.registry, self.state, self.auth.audit,
                             tariff_vnd_per_kwh=s.lights_tariff_vnd_per_kwh,
                             offline_hold_ms=s.lights_offline_hold_s * 1000)
        self.ingest.observers.extend(self.lights.observers)

    def start(self) -> None:
        if self.broker is not None:
            self.broker.start()
        self.ingest.start()
        self.writer.start()
        self.bus.start()
        self.lights.start()
        if self.companions and not self.bus.wait_connected(15):
            log.warning("the hub is not connected to the broker yet; starting the simulated fleet anyway")
        # After our subscriptions are in place: the embedded broker drops connections that arrive while
        # another client subscribes, and the fleet's first messages would otherwise pass before we listen.
        for companion in self.companions:
            companion.start()

    def stop(self) -> None:
        for companion in reversed(self.companions):
            companion.stop()
        self.bus.stop()
        self.ingest.stop()
        self.lights.stop()  # after ingest's last batch: the lights' final tick saves what it brought
        self.writer.stop()
        self.store.close()
        self.outbox.close()
        self.state.close()
        if self.broker is not None:
            self.broker.stop()


def build_hub(settings: Settings, site: Site) -> Hub:
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
    return Hub(settings, site, bus, make_store(settings), Outbox(data / "outbox.sqlite3"), broker)
