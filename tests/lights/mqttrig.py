"""A real hub (MQTT bus, SQLite state and store) on a real mosquitto, with the simulated lights of
tests.lights.sites.hamlet, behind the FastAPI app: for the lights integration tests and the benchmark's
smaller cousin. Timeouts are shortened so a test does not wait the production 30 s."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from devices.site import Site
from hub.api.app import create_app
from hub.auth.principal import Role
from hub.lights.service import Lights
from hub.lights.spec import LightsOptions
from hub.runtime import Hub, build_hub
from hub.settings import load_settings
from hub.timeutil import now_ms
from simulators.fleet import Fleet
from tests.auth.clients import bearer
from tests.support.mosquitto import Mosquitto
from tests.support.waiting import eventually


@dataclass
class MqttRig:
    hub: Hub
    fleet: Fleet
    client: TestClient
    head: dict[str, str]

    def command(self, body: dict[str, object]) -> str:
        sent = self.client.post("/api/lights/commands", json=body, headers=self.head)
        assert sent.status_code == 202, sent.text
        return str(sent.json()["id"])

    def result(self, command_id: str) -> dict[str, object]:
        body: dict[str, object] = self.client.get(f"/api/lights/commands/{command_id}", headers=self.head).json()
        return body

    def wait_done(self, command_id: str, timeout: float = 20.0) -> dict[str, object]:
        eventually(lambda: bool(self.result(command_id)["finished_ms"]), timeout)
        return self.result(command_id)


# Timeouts and grace shortened so a test does not wait the production 30 s.
FAST = LightsOptions(confirm_timeout_ms=3_000, grace_ms=3_000)


def sim_fleet(mosquitto: Mosquitto, site: Site) -> Fleet:
    return Fleet(site, mosquitto.host, mosquitto.port, telemetry_interval_s=0.5, keepalive=5)


@contextmanager
def mqtt_rig(tmp: Path, mosquitto: Mosquitto, site: Site, *, hold_s: int = 2, fleet: Fleet | None = None,
             clock: Callable[[], int] = now_ms, lights: LightsOptions = FAST,
             make_fleet: Callable[[], Fleet] | None = None) -> Iterator[MqttRig]:
    """The hub runs inside the block; the lights too, unless `fleet` is given (then they outlive it).
    `clock` and `lights` go to the hub's composition root; `make_fleet` builds the lights the rig owns."""
    settings = load_settings({}, data_dir=tmp / "hub", mqtt_url=mosquitto.url, simulate=False,
                             mqtt_client_id="hub-lights", lights_offline_hold_s=hold_s)
    hub = build_hub(settings, site, clock=clock, options={"lights": lights})
    devices = fleet or (make_fleet() if make_fleet else sim_fleet(mosquitto, site))
    with TestClient(create_app(lambda: hub)) as client:
        assert hub.bus.wait_connected(10)
        assert devices.start(wait_s=10)
        eventually(lambda: all(live.online for live in hub.registry.all()), 10)
        # Start from a settled hamlet: every simulated light has taken the hub's start-up config push and
        # said so. The broker still holds an earlier test's retained configs, so a light first reports that
        # version; on a busy machine the hub's push then lands after the test's first command and the
        # light's new state (same lamp, new config_version) would muddle what the test watches.
        lights_service = hub.services["lights"]
        assert isinstance(lights_service, Lights)
        simulated = {d.id for d in devices.site.devices}
        eventually(lambda: all(s.in_sync for s in lights_service.schedules.status() if s.device in simulated), 15)
        try:
            yield MqttRig(hub, devices, client, bearer(hub, Role.HEAD))
        finally:
            if fleet is None:
                devices.stop()
