"""The cameras service on real HTTP cameras (simulators/camera_http.py), the in-memory bus and a real
hub.sqlite3, on one controlled clock shared by the service and the cameras' scenes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hub.bus.memory import MemoryBroker
from hub.cameras.address import Policy
from hub.cameras.checks import Region
from hub.cameras.fetch import Limits
from hub.cameras.models import Registration
from hub.cameras.service import CameraOptions, Cameras
from hub.cameras.store import MIGRATIONS as CAMERA_MIGRATIONS
from hub.cameras.store import CameraStore
from hub.events import DomainEvent, EventHub
from hub.statedb import MIGRATIONS, StateDB
from hub.storage.base import Point
from simulators.camera_http import HttpCamera
from simulators.camera_scene import CLOCK_REGION
from tests.cameras.sites import camera_site
from tests.simulators.clock import ControlledClock

NOON = int(datetime(2026, 11, 20, 5, 0, tzinfo=UTC).timestamp() * 1000)  # 12:00 in Phú Thọ
PROBE_MS = 30_000
LIMITS = Limits(connect_s=1.0, read_s=2.5, total_s=3.5)  # slow (0.8 s) stays well inside, on a busy machine too
LOOPBACK = Policy.of(["127.0.0.1/32"], [("127.0.0.1", 1, "the hub itself")])


@dataclass
class Rig:
    service: Cameras
    clock: ControlledClock
    broker: MemoryBroker
    cameras: dict[str, HttpCamera]
    events: list[DomainEvent] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)

    def round(self, devices: list[str] | None = None, timeout_s: float = 10.0) -> None:
        """One probe of each camera (all by default), its result taken; then the clock moves on a probe."""
        chosen = devices if devices is not None else list(self.cameras)
        before = {d: self.service.now[d].checked_ms for d in chosen}
        self.service.probe_now(chosen)
        deadline = time.monotonic() + timeout_s
        while any(self.service.now[d].checked_ms == before[d] for d in chosen):
            assert time.monotonic() < deadline, "probe results did not come back"
            time.sleep(0.005)
            self.service.drain()
        self.clock.advance(PROBE_MS)

    def reasons(self, device: str) -> set[str]:
        return {k for k in self.service.now[device].since if k}


@contextmanager
def rig(tmp: Path, count: int = 1, *, width: int = 640, height: int = 360, slow_s: float = 0.8,
        limits: Limits = LIMITS, workers: int = 4, clock_region: Region | None = CLOCK_REGION) -> Iterator[Rig]:
    """`clock_region`: where the cameras' on-screen clock is, as the technician named it (None: not named)."""
    clock = ControlledClock(NOON)
    site = camera_site(count)
    db = StateDB(tmp / "hub.sqlite3", MIGRATIONS + CAMERA_MIGRATIONS)
    broker = MemoryBroker()
    bus = broker.client()
    bus.start()
    hub_events = EventHub()
    cams = {d.id: HttpCamera(d.id, width=width, height=height, seed=i, clock=clock, slow_s=slow_s, reboot_s=0.3)
            for i, d in enumerate(site.devices)}
    points: list[Point] = []
    options = CameraOptions(tick_s=0.05, workers=workers, limits=limits, slow_ms=500)
    service = Cameras(site, bus, CameraStore(db), hub_events, lambda: LOOPBACK, clock=clock, options=options,
                      record=points.extend)
    r = Rig(service, clock, broker, cams, points=points)
    hub_events.subscribe(r.events.append)
    for cam in cams.values():
        cam.start()
    try:
        service.start()
        for device, cam in cams.items():
            service.register(device, Registration(host="127.0.0.1", port=cam.port, clock_region=clock_region), None)
        yield r
    finally:
        service.stop()
        for cam in cams.values():
            cam.stop()
        db.close()
