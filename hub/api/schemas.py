"""Response models of the read side, split by role from the device contract's wire models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from devices.contract import Kind
from devices.site import Position


class DevicePublic(BaseModel):
    id: str
    kind: Kind
    name: str
    group: str
    position: Position
    cabinet: str | None = None
    online: bool
    problem: bool = False  # offline, an open fault, or the device reports trouble (camera, speaker)
    last_seen_ms: int | None
    state: dict[str, Any]
    telemetry: dict[str, Any]
    telemetry_ms: int | None


class TelemetryPoint(BaseModel):
    ts_ms: int
    value: float | None


class TelemetrySeries(BaseModel):
    device: str
    field: str
    since_ms: int
    until_ms: int
    every_ms: int
    points: list[TelemetryPoint]


class ComponentHealth(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    status: str  # ok | catching_up (200) | degraded (503)
    reasons: list[str]  # why it is not ok, one line per component; empty when ok
    broker: ComponentHealth
    store: ComponentHealth
    outbox: ComponentHealth  # the durable commit before every acknowledgement
    disk: ComponentHealth  # free space in the data directory
    backlog: int  # messages received and not yet committed
    outbox_depth: int  # points committed and not yet in the store
    devices_online: int
    devices_total: int
    # Each service's worker (hub/router.py): not ok while it lost messages and has not resynced, or is dead.
    services: dict[str, ComponentHealth] = {}
