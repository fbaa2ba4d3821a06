"""GET /api/devices, /api/devices/{device}, /api/devices/{device}/telemetry."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, NoReturn
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from devices.contract import Kind
from devices.kinds import spec
from hub.api.access import ANY_ROLE, allow
from hub.api.deps import HubDep
from hub.api.device_list import (
    CursorError,
    Fragments,
    Judge,
    ListQuery,
    Order,
    Row,
    StateFilter,
    View,
    full,
    query_page,
    snapshot,
)
from hub.api.encoded import Encoded, EncodedCache, respond
from hub.api.schemas import DevicePublic, TelemetryPoint, TelemetrySeries
from hub.broadcasts.service import Broadcasts
from hub.groups import group_members
from hub.lights.service import Lights
from hub.registry import DeviceLive
from hub.runtime import Hub
from hub.timeutil import auto_every_ms, now_ms, parse_duration_ms, to_ms

router = APIRouter(prefix="/api/devices", tags=["devices"], dependencies=[allow(*ANY_ROLE)])

DAY_MS = 86_400_000
MAX_SPAN_MS = 400 * DAY_MS


def public(hub: Hub, live: DeviceLive, now: int) -> DevicePublic:
    (row,) = snapshot([live], now, hub.registry.stale_after_ms, devices_in_fault(hub))
    return DevicePublic.model_validate(full(row))


DEFAULT_LIMIT: Mapping[View, int] = {"full": 500, "map": 5000}
MAX_LIMIT: Mapping[View, int] = {"full": 2000, "map": 20_000}
SNAPSHOT_MS = 10_000  # `online` is judged at most this long ago in a cached list (offline after 3 min silence)
MAX_FAULTS = 20_000


@router.get("", response_model=list[DevicePublic], responses={200: {"description": (
    "One page, in the order asked. Headers: `X-Total-Count` (devices matching the filters), `Link: <…>; "
    "rel=\"next\"` while more follow, `ETag` (send it back in If-None-Match: 304 while unchanged). "
    "`view=map`: id, kind, name, lat, lon, online, problem, state (the keys that colour a dot), last_seen_ms.")}})
def list_devices(
    request: Request,
    hub: HubDep,
    kind: Kind | None = None,
    group: Annotated[str | None, Query(max_length=32)] = None,
    state: Annotated[StateFilter | None, Query(description="online, offline, or problem (offline or in fault)")] = None,
    order: Annotated[Order, Query(description="site: inventory order; problems: problems first")] = "site",
    view: Annotated[View, Query(description="full, or map: a compact projection for drawing")] = "full",
    cursor: Annotated[str | None, Query(max_length=64, description="from the previous page's Link")] = None,
    limit: Annotated[int | None, Query(ge=1, le=max(MAX_LIMIT.values()), description=(
        "full: 500 by default, at most 2000; map: 5000 by default, at most 20000"))] = None,
) -> Response:
    if group is not None and group not in hub.site.groups():
        raise HTTPException(404, f"group {group!r} is not in the site")
    if limit is not None and limit > MAX_LIMIT[view]:
        _invalid("limit", f"at most {MAX_LIMIT[view]} devices a page with view={view}")
    size = limit or DEFAULT_LIMIT[view]
    now = now_ms()
    instant = now - now % SNAPSHOT_MS
    faulted = devices_in_fault(hub)
    query = ListQuery(kind, group_members(hub.site, group) if group else None, state, order)
    key = (id(hub), hub.registry.version, instant, faulted, kind, group, state, order, view, cursor, size)
    lists = _lists(request)

    def build() -> Encoded:
        judge = Judge(instant, hub.registry.stale_after_ms, faulted)
        try:
            found = query_page(hub.registry.all(), query, cursor, size, judge, lambda: lists.rows(hub, judge))
        except CursorError as exc:
            _invalid("cursor", str(exc))
        headers = {"X-Total-Count": str(found.total)}
        if found.next_cursor is not None:
            nxt = urlencode({**request.query_params, "cursor": found.next_cursor, "limit": size})
            headers["Link"] = f'<{request.url.path}?{nxt}>; rel="next"'
        return Encoded(lists.fragments.body(view, found.rows), headers)

    return respond(request, lists.cache.get(key, build))


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


@dataclass
class _Lists:
    cache: EncodedCache = field(default_factory=EncodedCache)
    fragments: Fragments = field(default_factory=Fragments)
    _snapshot: tuple[Hashable, list[Row]] | None = None

    def rows(self, hub: Hub, judge: Judge) -> list[Row]:
        """One snapshot per registry version, instant and fault set, shared by every query and page."""
        key = (id(hub), hub.registry.version, judge)
        held = self._snapshot
        if held is None or held[0] != key:
            devices = hub.registry.all()
            held = self._snapshot = (key, [judge(place, live) for place, live in enumerate(devices)])
        return held[1]


def _lists(request: Request) -> _Lists:
    """The app's encoded lists (one per app, so a test's app starts empty)."""
    state = request.app.state
    lists: _Lists | None = getattr(state, "device_lists", None)
    if lists is None:
        lists = state.device_lists = _Lists()
    return lists


def devices_in_fault(hub: Hub) -> frozenset[str]:
    """Devices with an open fault: a light (or every light a power-cabinet loss took down), a speaker."""
    found: set[str] = set()
    lights = hub.services.get("lights")
    if isinstance(lights, Lights):
        for fault in lights.faults.page(open_only=True, limit=MAX_FAULTS):
            found.add(fault.subject)
            found.update(str(d) for d in fault.detail.get("lights", []))
    broadcasts = hub.services.get("broadcasts")
    if isinstance(broadcasts, Broadcasts):
        found.update(f.subject for f in broadcasts.faults.page(open_only=True, limit=MAX_FAULTS))
    return frozenset(found)


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
