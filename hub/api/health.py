"""GET /healthz (is the telemetry path keeping its promise?) and GET /metrics (Prometheus text).

/healthz is answered from values the bus, the committer and the writer keep up to date (the writer pings
the store and samples the disk every few seconds): no I/O on the request path, so it answers at once even
under load. Degraded (503) when the broker link is down, outbox commits fail, the disk is low or the store
does not answer; "catching_up" (200) while the hub is connected and draining a backlog before its
subscriptions are confirmed (the SUBACKs queue behind the backlog), which is work, not an outage.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from hub.api.access import Role, allow, public
from hub.api.deps import HubDep
from hub.api.schemas import ComponentHealth, Health
from hub.ingest.pipeline import CommitHealth
from hub.ingest.writer import Vitals
from hub.registry import Registry
from hub.router import WorkerStatus
from hub.timeutil import now_ms

router = APIRouter(tags=["health"])

# A commit that failed this recently still counts, so a poll between two retries sees the trouble.
RECENT_FAILURE_MS = 10_000
_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Link:
    subscribed: bool  # connected with every SUBACK in
    linked: bool  # connected at all


def assess(link: Link, commits: CommitHealth, vitals: Vitals, backlog: int, depth: int, store: str,
           now: int) -> tuple[str, list[str], dict[str, ComponentHealth]]:
    """(status, reasons, components): pure, from cached values."""
    parts: dict[str, ComponentHealth] = {}
    reasons: list[str] = []
    catching_up = False
    if link.subscribed:
        parts["broker"] = ComponentHealth(ok=True, detail="connected")
    elif link.linked:
        catching_up = True
        parts["broker"] = ComponentHealth(ok=True, detail=f"catching up: {backlog} messages received, "
                                                          "subscriptions not yet confirmed")
    else:
        parts["broker"] = ComponentHealth(ok=False, detail="not connected")
    recent = commits.last_failure_ms and now - commits.last_failure_ms < RECENT_FAILURE_MS
    if commits.failures or recent:
        how = f"{commits.failures} in a row" if commits.failures else "recovered"
        parts["outbox"] = ComponentHealth(ok=False, detail=f"commits failing ({how}): {commits.last_error}")
    else:
        parts["outbox"] = ComponentHealth(ok=True, detail=f"ok; {depth} points waiting for the store")
    parts["store"] = ComponentHealth(ok=vitals.store_ok, detail=f"{store}: {vitals.store_detail}")
    free = "not sampled yet" if vitals.disk_free_bytes < 0 else f"{vitals.disk_free_bytes // _MB} MB free"
    parts["disk"] = ComponentHealth(ok=not vitals.disk_low, detail=free + (" (low)" if vitals.disk_low else ""))
    reasons = [f"{name}: {part.detail}" for name, part in parts.items() if not part.ok]
    status = "degraded" if reasons else "catching_up" if catching_up else "ok"
    if catching_up:
        reasons.append(f"broker: {parts['broker'].detail}")
    return status, reasons, parts


def assess_services(workers: list[WorkerStatus]) -> tuple[dict[str, ComponentHealth], list[str], list[str]]:
    """(parts, why degraded, why catching up): a dead worker is an outage; a service that lost messages on a
    full queue resyncs by itself from the registry, so until then it is catching up, not down."""
    parts: dict[str, ComponentHealth] = {}
    down: list[str] = []
    behind: list[str] = []
    for w in workers:
        detail = f"{w.depth} queued, {w.handled} handled, {w.dropped} dropped, {w.errors} errors"
        if not w.alive:
            down.append(f"service {w.name}: its worker stopped ({detail})")
        elif w.behind:
            behind.append(f"service {w.name}: resyncing after messages were dropped ({detail})")
        parts[w.name] = ComponentHealth(ok=w.ok, detail=detail)
    return parts, down, behind


_counts: dict[int, tuple[float, int, int]] = {}


def device_counts(registry: Registry, now: int) -> tuple[int, int]:
    """(online, total), recounted at most once a second: 10,000 devices are not walked per poll."""
    cached = _counts.get(id(registry))
    if cached is not None and time.monotonic() < cached[0]:
        return cached[1], cached[2]
    live = registry.all()
    online = sum(1 for d in live if d.is_online(now, registry.stale_after_ms))
    _counts.clear()
    _counts[id(registry)] = (time.monotonic() + 1.0, online, len(live))
    return online, len(live)


# Public: load balancers and the web app's offline banner poll it; it says nothing a neighbour could misuse.
# async, and no I/O inside: it never waits for the thread pool that slow requests may fill.
@router.get("/healthz", response_model=Health, responses={503: {"model": Health}}, dependencies=[public()])
async def healthz(hub: HubDep) -> JSONResponse:
    now = now_ms()
    bus = hub.bus
    link = Link(bus.connected, bool(getattr(bus, "linked", bus.connected)))
    backlog, depth = hub.ingest.backlog, hub.outbox.depth()
    status, reasons, parts = assess(link, hub.ingest.commits, hub.writer.vitals, backlog, depth,
                                    hub.store.name, now)
    services, down, behind = assess_services(hub.router.status())
    if down:
        status = "degraded"
    elif behind and status == "ok":
        status = "catching_up"
    reasons += down + behind
    online, total = device_counts(hub.registry, now)
    body = Health(status=status, reasons=reasons, backlog=backlog, outbox_depth=depth, devices_online=online,
                  devices_total=total, services=services, **parts)
    return JSONResponse(body.model_dump(), status_code=503 if status == "degraded" else 200)


# Technicians only: Prometheus scrapes with a technician's bearer token (POST /api/session {"token": true}).
@router.get("/metrics", response_class=PlainTextResponse, dependencies=[allow(Role.TECHNICIAN)])
def metrics(hub: HubDep) -> PlainTextResponse:
    return PlainTextResponse(hub.metrics.render(), media_type="text/plain; version=0.0.4")
