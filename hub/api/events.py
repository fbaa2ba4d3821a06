"""GET /api/events: the web app's live updates as server-sent events (any role; each event goes only to
the roles it concerns). The feed itself lives in hub/live/feed.py; the lifespan makes one per app.

Events (small JSON, for phones on weak 4G; the phone app dispatches them through a table in main.js):
  event: health   data: {"broker": true, "store": true}      first on every stream, then on each change
  event: devices  data: [{"id": "den-1", "online": false, "state": {...}, "seen": ms}, ...]  what changed
  event: <any domain event a service publishes>, e.g. light_command (a command's roll-up) and light_fault
         (head, technician): see hub/events.py
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from hub.api.access import ANY_ROLE, Principal, allow
from hub.live.feed import LiveFeed
from hub.runtime import Hub

router = APIRouter(prefix="/api/events", tags=["events"])


def open_feed(app: FastAPI, hub: Hub) -> LiveFeed:
    """Called by the lifespan on the event loop (the feed hands over to it), once the hub is built."""
    feed = LiveFeed(hub.events, hub.registry, hub.health_flags, asyncio.get_running_loop())
    app.state.live_feed = feed
    return feed


async def close_feed(app: FastAPI) -> None:
    """Called by the lifespan on shutdown: end every stream and the watcher task."""
    feed: LiveFeed | None = getattr(app.state, "live_feed", None)
    if feed is not None:
        await feed.close()


def get_feed(request: Request) -> LiveFeed:
    feed: LiveFeed = request.app.state.live_feed
    return feed


@router.get("", response_class=EventSourceResponse)
async def events(
    feed: Annotated[LiveFeed, Depends(get_feed)], who: Annotated[Principal, allow(*ANY_ROLE)]
) -> AsyncIterator[ServerSentEvent]:
    client = feed.subscribe(who.role)
    try:
        while (event := await client.queue.get()) is not None:
            yield event
    finally:
        feed.unsubscribe(client)
