"""A real hub (MQTT bus, SQLite, the app under uvicorn so speakers download media over HTTP) on a real
mosquitto, with simulated speakers; the hub and every speaker read one ShiftedClock. The hub can be stopped
and started again on the same data (same MQTT client id: its persistent session keeps what speakers said
meanwhile) while the speakers run on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from devices.contract import Kind
from devices.site import Site
from hub.api.app import create_app
from hub.auth.principal import Role
from hub.broadcasts.plan import QuietHours
from hub.broadcasts.service import BroadcastOptions, Broadcasts
from hub.runtime import Hub, build_hub
from hub.settings import load_settings
from hub.timeutil import now_ms
from simulators.fleet import Fleet
from tests.auth.clients import bearer
from tests.broadcasts.audio import encode
from tests.broadcasts.kit import TZ
from tests.support.mosquitto import Mosquitto
from tests.support.procs import free_port
from tests.support.waiting import eventually

MINUTE = 60_000


class ShiftedClock:
    """The wall clock plus an offset a test moves forward (the hub and the speakers read the same one);
    moved only minutes ahead, so the devices' last-seen times stay fresh."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> int:
        return now_ms() + self.offset

    def advance_to(self, ms: int) -> None:
        self.offset = max(self.offset, ms - now_ms())

    def local(self, ms: int | None = None) -> datetime:
        return datetime.fromtimestamp((self() if ms is None else ms) / 1000, TZ)


@dataclass
class Running:
    hub: Hub
    api: httpx.Client
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def service(self) -> Broadcasts:
        found = self.hub.services["broadcasts"]
        assert isinstance(found, Broadcasts)
        return found

    def stop(self) -> None:
        self.api.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the hub did not stop"

    def post(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        sent = self.api.post(path, json=body)
        assert sent.status_code == status, sent.text
        found: dict[str, Any] = sent.json()
        return found

    def upload(self, seconds: float) -> str:
        return self.upload_bytes(encode("mp3", seconds=seconds))

    def upload_bytes(self, data: bytes) -> str:
        sent = self.api.post("/api/media", content=data, headers={"Content-Type": "audio/mpeg"})
        assert sent.status_code == 201, sent.text
        return str(sent.json()["sha256"])

    def log(self) -> dict[tuple[str, str], dict[str, Any]]:
        rows = self.api.get("/api/broadcasts/log").json()
        return {(r["occurrence_id"], r["speaker"]): r for r in rows}


def start_hub(tmp: Path, mosquitto: Mosquitto, site: Site, clock: ShiftedClock, port: int) -> Running:
    settings = load_settings({}, data_dir=tmp / "hub", mqtt_url=mosquitto.url, simulate=False,
                             mqtt_client_id="hub-broadcasts", http_port=port, mqtt_keepalive=5)
    options = BroadcastOptions(tick_s=0.1, media_base_url=f"http://127.0.0.1:{port}/media", offline_hold_ms=2_000,
                               quiet=QuietHours("00:00", "00:00"))  # the test may run at any hour
    hub = build_hub(settings, site, clock=clock, options={"broadcasts": options})
    server = uvicorn.Server(uvicorn.Config(create_app(lambda: hub), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-hub", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the hub's server did not start"
        time.sleep(0.05)
    assert hub.bus.wait_connected(10)
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=bearer(hub, Role.HEAD), timeout=30)
    return Running(hub, api, server, thread)


@contextmanager
def speakers_and_hub(tmp: Path, mosquitto: Mosquitto, site: Site) -> Iterator[tuple[ShiftedClock, Fleet, Running]]:
    """The speakers run for the whole block; the hub is started here and stopped at the end if still running
    (a test may stop it and start another with `start_hub` on the same port)."""
    clock = ShiftedClock()
    port = free_port()
    running = start_hub(tmp, mosquitto, site, clock, port)
    fleet = Fleet(site, mosquitto.host, mosquitto.port, kinds=[Kind.SPEAKER], telemetry_interval_s=0.5,
                  keepalive=5, clock=clock, clock_check_s=0.05)
    try:
        assert fleet.start(wait_s=10)
        eventually(lambda: all(running.hub.registry.get(s) is not None and running.hub.registry.get(s).online  # type: ignore[union-attr]
                               for s in running.service.speakers), 10, "speakers online")
        yield clock, fleet, running
    finally:
        fleet.stop()
        if running.thread.is_alive():
            running.stop()


def next_minute(clock: ShiftedClock, after_ms: int = 20_000) -> int:
    """The first whole local minute at least `after_ms` from the clock's now, in ms."""
    at = clock() + after_ms
    return at - at % MINUTE + MINUTE
