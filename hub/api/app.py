"""The FastAPI application. Its lifespan owns the hub's I/O: build and start on entry, stop on exit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware

from hub.api import (
    audit,
    broadcasts,
    cameras,
    deadletters,
    devices,
    events,
    health,
    home,
    lights,
    media,
    session,
    site,
    users,
)
from hub.api.limits import BodyLimit, count_refusal
from hub.auth.errors import AuthError
from hub.runtime import Hub
from hub.web import router as web

ROUTERS = (
    site.router, devices.router, health.router, home.router, events.router, deadletters.router,
    web.router, session.router, users.router, audit.router,
)
# Each service's routes, under its name in hub.runtime.SERVICES (a service adds one line here).
SERVICE_ROUTERS: dict[str, tuple[APIRouter, ...]] = {
    "lights": (lights.router,),
    "broadcasts": (broadcasts.router, media.router),
    "cameras": (cameras.router,),
}


def create_app(make_hub: Callable[[], Hub]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub = make_hub()
        await run_in_threadpool(hub.start)
        app.state.hub = hub
        events.open_feed(app, hub)  # on the loop: the feed hands events over to it
        try:
            yield
        finally:
            await events.close_feed(app)  # end the live streams before the hub they read from
            await run_in_threadpool(hub.stop)

    app = FastAPI(title="Hamlet Hub", version="0.1.0", lifespan=lifespan)
    # Phones on a weak 4G signal: JSON lists shrink ~10x. The web app's files come pre-compressed and the
    # event stream is never buffered (the middleware leaves both alone).
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(BodyLimit, on_refused=count_refusal)  # outermost: 413 before anything reads a body
    app.add_exception_handler(AuthError, session.auth_error)  # hub.auth's refusals: 401/403/404/409/410/429
    for router in (*ROUTERS, *(r for routers in SERVICE_ROUTERS.values() for r in routers)):
        app.include_router(router)
    return app
