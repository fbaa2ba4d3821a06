"""GET /api/home (any role): the home screen's figures in one small answer.

The home screen is the first thing a phone loads on a weak 4G signal: it gets counts computed here, never
the whole device list (10,000 devices would be megabytes).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from devices.contract import Kind
from hub.api.access import ANY_ROLE, allow
from hub.api.deps import HubDep
from hub.broadcasts.service import Broadcasts
from hub.cameras.service import Cameras
from hub.registry import DeviceLive
from hub.runtime import Hub
from hub.timeutil import now_ms

MAX_FAULTS = 20_000  # more open faults than devices cannot be: a bound, not a page

router = APIRouter(prefix="/api/home", tags=["home"], dependencies=[allow(*ANY_ROLE)])


class HomeSummary(BaseModel):
    site_name: str
    lights_on: int
    lights_total: int
    devices_offline: int
    devices_total: int
    cameras_ok: int
    cameras_total: int
    faults: int  # lights and speakers with an open fault (a power-cabinet loss counts each light it took down)
    next_bulletin: str | None = None  # "06:00 01/12 — Bản tin sáng"; None: nothing in the coming week
    broker_ok: bool
    store_ok: bool


@router.get("", response_model=HomeSummary)
def home(hub: HubDep) -> HomeSummary:
    now, stale = now_ms(), hub.registry.stale_after_ms
    lights_on = lights = cameras_ok = cameras = offline = total = 0
    probed = hub.services.get("cameras")
    health = probed.health_now() if isinstance(probed, Cameras) else None  # as probed: picture, recording, storage
    for live in hub.registry.all():
        online = live.is_online(now, stale)
        total += 1
        offline += not online
        if live.kind == Kind.LIGHT:
            lights += 1
            lights_on += online and live.state.get("state") == "ON"
        elif live.kind == Kind.CAMERA:
            cameras += 1
            # Where the hub probes cameras, only a probe says one works: one it has not probed yet (no address)
            # is not counted, as the camera page says "chưa được kiểm tra". Without the service: the camera's word.
            cameras_ok += health.get(live.id) == "ok" if health is not None else _camera_ok(live, online)
    return HomeSummary(
        site_name=hub.site.name, lights_on=lights_on, lights_total=lights, devices_offline=offline, devices_total=total,
        cameras_ok=cameras_ok, cameras_total=cameras, faults=len(_devices_in_fault(hub)),
        next_bulletin=_next_bulletin(hub, now), broker_ok=hub.bus.connected, store_ok=hub.writer.store_ok,
    )


def _next_bulletin(hub: Hub, now: int) -> str | None:
    broadcasts = hub.services.get("broadcasts")
    return broadcasts.next_up(now) if isinstance(broadcasts, Broadcasts) else None


def _camera_ok(live: DeviceLive, online: bool) -> bool:
    """A camera the hub does not probe: ok when it is online and its own report (telemetry, since its state
    is the hub's) does not call its stream broken."""
    return online and live.telemetry.get("stream_ok", True) is not False


def _devices_in_fault(hub: Hub) -> set[str]:
    """Devices with an open fault, each once however many it has. A light's fault names the light, or a power
    cabinet with the lights it took down in `detail["lights"]`; a speaker's names the speaker. (A camera's
    trouble is its health, counted on the cameras tile.)"""
    devices: set[str] = set()
    for fault in hub.lights.faults.page(open_only=True, limit=MAX_FAULTS):
        if hub.registry.get(fault.subject) is not None:
            devices.add(fault.subject)
        devices.update(str(d) for d in fault.detail.get("lights", []))
    broadcasts = hub.services.get("broadcasts")
    if isinstance(broadcasts, Broadcasts):
        devices.update(broadcasts.faults.open_subjects())
    return devices
