"""A memory hub running the cameras service, its app with the cameras' routes, and simulated HTTP cameras
for every camera of the test site (loopback allowed explicitly, as a site would allow its camera network)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.api import cameras as camera_routes
from hub.api.app import create_app
from hub.bus.memory import MemoryBroker
from hub.cameras.service import CameraOptions, Cameras
from hub.cameras.spec import SPEC as CAMERAS
from hub.ingest.outbox import Outbox
from hub.runtime import SERVICES, Hub
from hub.settings import load_settings
from hub.storage.sqlite_store import SQLiteStore
from simulators.camera_http import HttpCamera
from simulators.camera_scene import CLOCK_REGION
from tests.cameras.rig import LIMITS, NOON
from tests.cameras.sites import camera_site

HTTP_PORT = 8123
_STARTED = time.monotonic()


def midday() -> int:
    """Real time passing, from noon in Phú Thọ: the cameras' day and the hub's sun agree whenever tests run."""
    return NOON + int((time.monotonic() - _STARTED) * 1000)
  # the hub's own port in these settings: refused as a camera address


@dataclass
class CameraApp:
    hub: Hub
    client: TestClient
    cameras: dict[str, HttpCamera]
    broker: MemoryBroker

    @property
    def service(self) -> Cameras:
        found = self.hub.services["cameras"]
        assert isinstance(found, Cameras)
        return found


def with_camera_routes(app: FastAPI) -> FastAPI:
    """The cameras' router, unless the app already lists it (hub/api/app.py SERVICE_ROUTERS)."""
    if not any(getattr(r, "path", "").startswith("/api/cameras") for r in app.routes):
        app.include_router(camera_routes.router)
    return app


@contextmanager
def camera_app(tmp: Path, count: int = 2, *, residents_see_thumbnails: bool = False) -> Iterator[CameraApp]:
    settings = load_settings({}, data_dir=tmp, simulate=False, http_port=HTTP_PORT,
                             cameras_allowed_networks="127.0.0.1/32",
                             cameras_residents_see_thumbnails=residents_see_thumbnails)
    services = SERVICES if any(s.name == "cameras" for s in SERVICES) else (*SERVICES, CAMERAS)
    options = {"cameras": CameraOptions(tick_s=0.05, interval_s=0.15, workers=4, limits=LIMITS, slow_ms=500)}
    broker = MemoryBroker()
    hub = Hub(settings, camera_site(count), broker.client(), SQLiteStore(tmp / "telemetry.sqlite3"),
              Outbox(tmp / "outbox.sqlite3"), options=options, services=services, clock=midday)
    cams = {d.id: HttpCamera(d.id, width=480, height=270, seed=i, clock=midday).start()
            for i, d in enumerate(hub.site.devices)}
    try:
        with TestClient(with_camera_routes(create_app(lambda: hub))) as client:
            yield CameraApp(hub, client, cams, broker)
    finally:
        for cam in cams.values():
            cam.stop()


def address(cam: HttpCamera, clock: bool = False) -> dict[str, object]:
    """No clock region by default: probes a fraction of a second apart see the same second on the clock."""
    return {"host": "127.0.0.1", "port": cam.port, **({"clock_region": list(CLOCK_REGION)} if clock else {})}
