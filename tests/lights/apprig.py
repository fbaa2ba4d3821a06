"""A whole hub (memory bus, real SQLite state) behind the FastAPI app, with scripted lights: for the
lights API tests. The hub's own threads run, so tests wait for outcomes with `eventually`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from devices.contract import Channel, Kind, topic
from devices.light import LightConfig
from devices.site import Site
from hub.api.app import create_app
from hub.bus.base import Message
from hub.bus.memory import MemoryBroker
from hub.runtime import Hub
from hub.timeutil import now_ms
from tests.hub.apphub import memory_hub
from tests.lights.fakes import FakeLight
from tests.support.waiting import eventually


class AppRig:
    def __init__(self, hub: Hub, broker: MemoryBroker, client: TestClient, lights: dict[str, FakeLight]) -> None:
        self.hub, self.broker, self.client, self.lights = hub, broker, client, lights

    def sets(self) -> list[Message]:
        return self.broker.messages_on(lambda t: t.endswith("/set"))

    def to_lights(self) -> int:
        """How many commands and configs the hub has published so far."""
        return len(self.broker.messages_on(lambda t: t.endswith(("/set", "/config"))))

    def config_of(self, device: str) -> LightConfig | None:
        found = self.broker.retained.get(topic(self.hub.site.id, Kind.LIGHT, device, Channel.CONFIG))
        return LightConfig.model_validate_json(found.payload) if found is not None else None


@contextmanager
def app_rig(tmp: Path, site: Site) -> Iterator[AppRig]:
    broker = MemoryBroker()
    hub = memory_hub(tmp, site, broker)
    lights = {d.id: FakeLight(broker, site.id, d.id, now_ms) for d in site.devices if d.kind == Kind.LIGHT}
    with TestClient(create_app(lambda: hub)) as client:
        for light in lights.values():
            light.online()
        eventually(lambda: all(hub.registry.get(d) is not None and hub.registry.get(d).online  # type: ignore[union-attr]
                               for d in lights))
        rig = AppRig(hub, broker, client, lights)
        eventually(lambda: all(rig.config_of(d) is not None for d in lights))  # the start-up push is done
        yield rig
