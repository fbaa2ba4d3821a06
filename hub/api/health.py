"""GET /healthz (broker and store status) and GET /metrics (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from hub.api.access import Role, allow, public
from hub.api.deps import HubDep
from hub.api.schemas import ComponentHealth, Health
from hub.timeutil import now_ms

router = APIRouter(tags=["health"])


# Public: load balancers and the web app's offline banner poll it; it says nothing a neighbour could misuse.
@router.get("/healthz", response_model=Health, responses={503: {"model": Health}}, dependencies=[public()])
def healthz(hub: HubDep) -> JSONResponse:
    broker_ok = hub.bus.connected
    store_ok = hub.writer.store_ok
    now = now_ms()
    live = hub.registry.all()
    body = Health(
        status="ok" if broker_ok and store_ok else "degraded",
        broker=ComponentHealth(ok=broker_ok, detail="connected" if broker_ok else "not connected"),
        store=ComponentHealth(ok=store_ok, detail=f"{hub.store.name}: {'ok' if store_ok else 'unavailable'}"),
        outbox_depth=hub.outbox.depth(),
        devices_online=sum(1 for d in live if d.is_online(now, hub.registry.stale_after_ms)),
        devices_total=len(live),
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.status == "ok" else 503)


# Technicians only: Prometheus scrapes with a technician's bearer token (POST /api/session {"token": true}).
@router.get("/metrics", response_class=PlainTextResponse, dependencies=[allow(Role.TECHNICIAN)])
def metrics(hub: HubDep) -> PlainTextResponse:
    return PlainTextResponse(hub.metrics.render(), media_type="text/plain; version=0.0.4")
