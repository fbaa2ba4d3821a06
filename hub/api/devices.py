"""GET /api/devices, /api/devices/{device}, /api/devices/{device}/telemetry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, NoReturn

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from devices.contract import Kind
from devices.kinds import spec
from hub.api.access import ANY_ROLE, allow
from hub.api.deps import HubDep
from hub.api.schemas import DevicePublic, TelemetryPoint, TelemetrySeries
from hub.groups import group_members
from hub.registry import DeviceLive
from hub.runtime import Hub
from hub.timeutil import auto_every_ms, now_ms, parse_duration_ms, to_ms

router = APIRouter(prefix="/api/devices", tags=["devices"], dependencies=[allow(*ANY_ROLE)])

DAY_MS = 86_400_000
MAX_SPAN_MS = 400 * DAY_MS


def public(hub: Hub, live: DeviceLive, now: int) -> DevicePublic:
    return DevicePublic(
        id=live.id, kind=live.kind, name=live.name, group=live.group, position=live.position,
        cabinet=live.cabinet, online=live.is_online(now, hub.registry.stale_after_ms),
        last_seen_ms=live.last_seen_ms, state=live.state, telemetry=live.telemetry,
        telemetry_ms=live.telemetry_ms,
    )


@router.get("", response_model=list[DevicePublic])
def list_devices(
    hub: HubDep,
    kind: Kind | None = None,
    group: Annotated[str | None, Query(max_length=32)] = None,
) -> list[DevicePublic]:
    if group is not None and group not in hub.site.groups():
        raise HTTPException(404, f"group {group!r} is not in the site")
    members = group_members(hub.site, group) if group else None
    now = now_ms()
    return [
        public(hub, live, now)
        for live in hub.registry.all()
        if (kind is None or live.kind == kind) and (members is None or live.id in members)
    ]


@router.get("/{device}", response_model=DevicePublic)
def get_device(hub: HubDep, device: str) -> DevicePublic:
    return public(hub, _live(hub, device), now_ms())


@router.get("/{device}/telemetry", response_model=TelemetrySeries)
async def telemetry(
    hub: HubDep,
    device: str,
    field: Annotated[str, Query(max_length=64, description="a telemetry field of the device's kind")],
    since: Annotated[datetime | None, Query(description="ISO 8601 with zone; default 24 h ago")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601 with zone; default now")] = None,
    every: Annotated[str | None, Query(max_length=16, description="bucket width, e.g. 5m, 1h")] = None,
) -> TelemetrySeries:
    live = _live(hub, device)
    fields = spec(live.kind).telemetry_fields
    if field not in fields:
        _invalid("field", f"{field!r} is not a telemetry field of a {live.kind}: use one of {', '.join(fields)}")
    until_ms = _ms("until", until) if until else now_ms()
    since_ms = _ms("since", since) if since else until_ms - DAY_MS
    if not 0 < until_ms - since_ms <= MAX_SPAN_MS:
        _invalid("since", "since must be before until, and the span at most 400 days")
    every_ms = _every(every, until_ms - since_ms)
    buckets = await run_in_threadpool(hub.store.query, live.kind.value, device, field, since_ms, until_ms, every_ms)
    points = [TelemetryPoint(ts_ms=b.ts_ms, value=b.value) for b in buckets]
    return TelemetrySeries(
        device=device, field=field, since_ms=since_ms, until_ms=until_ms, every_ms=every_ms, points=points
    )


def _live(hub: Hub, device: str) -> DeviceLive:
    live = hub.registry.get(device)
    if live is None:
        raise HTTPException(404, f"device {device!r} is not in the site")
    return live


def _ms(name: str, value: datetime) -> int:
    try:
        return to_ms(value)
    except ValueError as exc:
        _invalid(name, str(exc))


def _every(every: str | None, span_ms: int) -> int:
    if every is None:
        return auto_every_ms(span_ms)
    try:
        every_ms = parse_duration_ms(every)
    except ValueError as exc:
        _invalid("every", str(exc))
    if span_ms // every_ms > 10_000:
        _invalid("every", "too many buckets: use a wider bucket or a shorter span (at most 10000)")
    return every_ms


def _invalid(name: str, message: str) -> NoReturn:
    """422 in FastAPI's own shape, naming the query parameter."""
    raise HTTPException(422, [{"loc": ["query", name], "msg": message, "type": "value_error"}])
