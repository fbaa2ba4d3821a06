"""Scripted lights on the in-memory bus, and a rig that wires ingest + the lights services with a
controlled clock, so a test can send a command, let the lights answer and assert on the next line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from devices.contract import Channel, Kind, ingest_filters, topic
from devices.light import LightConfig, LightSet
from devices.site import Site
from hub.bus.base import Message
from hub.bus.memory import MemoryBroker, MemoryBus
from hub.ingest.outbox import Outbox
from hub.ingest.pipeline import Ingest, IngestOptions
from hub.lights.commands.model import memory_store
from hub.lights.commands.service import CommandService
from hub.metrics import HubMetrics
from hub.registry import Registry

T0 = 1_790_000_000_000


@dataclass
class Clock:
    now: int = T0

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


@dataclass
class FakeLight:
    """A light that answers `set` with an ack and a state, unless told to stay silent or refuse."""

    broker: MemoryBroker
    site: str
    device: str
    clock: Callable[[], int]
    answers: bool = True
    echoes_config: bool = True  # reports the retained config's version in its state
    refuses: str | None = None  # an error code: ack ok=false
    state: str = "OFF"
    brightness: int = 100
    mode: str = "schedule"
    seen: list[str] = field(default_factory=list)
    applied: set[str] = field(default_factory=set)
    config: LightConfig | None = None
    bus: MemoryBus = field(init=False)
    _seq: int = 0

    def __post_init__(self) -> None:
        will = (self._topic(Channel.AVAILABILITY), b"offline")
        self.bus = self.broker.client(will=will)
        self.bus.subscribe(self._topic(Channel.SET), self._on_set)
        self.bus.subscribe(self._topic(Channel.CONFIG), self._on_config)

    def online(self) -> None:
        self.bus.start()
        self.bus.publish(self._topic(Channel.AVAILABILITY), b"online", retain=True)
        self.publish_state()

    def drop(self) -> None:
        self.bus.drop()

    def ack(self, command_id: str, ok: bool = True) -> None:
        """An ack on its own, with no state change behind it."""
        self._send(Channel.ACK, {"command_id": command_id, "ok": ok})

    def telemetry(self, level: int, power_w: float, energy_wh: float = 0.0, ts: int | None = None) -> None:
        body: dict[str, object] = {"power_w": power_w, "voltage_v": 220.0, "energy_wh": energy_wh, "level": level}
        self._send(Channel.TELEMETRY, body, ts=ts)

    def event(self, name: str) -> None:
        self._send(Channel.EVENT, {"event": name})

    def publish_state(self) -> None:
        body: dict[str, object] = {"state": self.state, "brightness": self.brightness, "mode": self.mode}
        if self.config is not None and self.echoes_config:
            body["config_version"] = self.config.version
        self._send(Channel.STATE, body, True)

    def _on_config(self, message: Message) -> None:
        self.config = LightConfig.model_validate_json(message.payload)
        if self.bus.connected:
            self.publish_state()

    def _on_set(self, message: Message) -> None:
        command = LightSet.model_validate_json(message.payload)
        self.seen.append(command.command_id)
        if not self.answers:
            return
        if self.refuses:
            self._send(Channel.ACK, {"command_id": command.command_id, "ok": False, "error": self.refuses})
            return
        if command.command_id not in self.applied:  # de-duplicate on the command id, as the contract asks
            self.applied.add(command.command_id)
            self.state = command.state or self.state
            self.brightness = command.brightness or self.brightness
            self.mode = "override" if command.for_minutes else "manual"
        ack = {"command_id": command.command_id, "ok": True, "state": self.state, "brightness": self.brightness}
        self._send(Channel.ACK, ack)
        self.publish_state()

    def _send(self, channel: Channel, body: dict[str, object], retain: bool = False, ts: int | None = None) -> None:
        self._seq += 1
        payload = json.dumps({"ts": self.clock() if ts is None else ts, "seq": self._seq, **body}).encode()
        self.bus.publish(self._topic(channel), payload, qos=1, retain=retain)

    def _topic(self, channel: Channel) -> str:
        return topic(self.site, Kind.LIGHT, self.device, channel)


class Rig:
    def __init__(self, tmp: Path, site: Site) -> None:
        self.site = site
        self.clock = Clock()
        self.broker = MemoryBroker()
        self.bus = self.broker.client()
        self.registry = Registry(site)
        self.outbox = Outbox(tmp / "outbox.sqlite3")
        self.ingest = Ingest(self.bus, self.outbox, self.registry, HubMetrics(), IngestOptions(site.id),
                             clock=self.clock)
        # Subscribe without the committer thread: `settle` runs the batches on the test's thread.
        for topic_filter in ingest_filters(site.id):
            self.bus.subscribe(topic_filter, self.ingest.receive)
        self.store = memory_store()
        self.commands = CommandService(self.bus, self.registry, self.store, clock=self.clock)
        self.ingest.observers.append(self.commands.observe)
        self.bus.start()
        self.lights = {d.id: FakeLight(self.broker, site.id, d.id, self.clock)
                       for d in site.devices if d.kind == Kind.LIGHT}

    def all_online(self) -> None:
        for light in self.lights.values():
            light.online()
        self.settle()

    def settle(self) -> None:
        """Run ingest until nothing is pending, then one service tick."""
        while self.ingest.process_pending():
            pass
        self.commands.tick()
        while self.ingest.process_pending():
            pass

    def sets_to(self, device: str) -> list[Message]:
        target = topic(self.site.id, Kind.LIGHT, device, Channel.SET)
        return self.broker.messages_on(lambda t: t == target)

    def close(self) -> None:
        with suppress(Exception):
            self.outbox.close()


def rig_of(tmp: Path, site: Site) -> Iterator[Rig]:
    rig = Rig(tmp, site)
    yield rig
    rig.close()
