"""GET /api/events: the web app's live updates as server-sent events (any role).

Events (small JSON, for phones on weak 4G):
  event: health   data: {"broker": true, "store": true}      first on every stream, then on each change
  event: devices  data: [{"id": "den-1", "online": false, "state": {...}, "seen": ms}, ...]  what changed
  event: light_command  data: {"id": "c1", "vi": "Ngõ 3: 11/12 đèn đã bật — …", "en": ..., "done": false,
                               "ok": false, "total": 12, "counts": {"confirmed": 11, ...}}  (head, technician)
  event: light_fault    data: {"id": 4, "kind": "lamp_failure", "subject": "den-7", "vi": ..., "en": ...,
                               "open": true, "seen": false}  opened, seen or closed (head, technician)

The registry calls its listeners on the ingest thread. That thread must never wait on a browser, so the
listener only notes the device in a pending map and, once per batch, hands over to the event loop with
`call_soon_threadsafe`; the loop coalesces, drops what did not change (telemetry alone changes nothing the
app shows) and puts one serialized event into each client's bounded queue. A client whose queue is full is
dropped: its stream ends, EventSource reconnects and the app reloads its data. Light command roll-ups and
faults come from the lights' own thread and take the same handover (the latest roll-up per command wins).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from hub.api.access import ANY_ROLE, Principal, Role, allow
from hub.lights.commands.model import LightCommand
from hub.lights.faults.store import Fault
from hub.lights.views import FaultPublic
from hub.registry import DeviceLive
from hub.runtime import Hub
from hub.timeutil import now_ms

QUEUE_BOUND: Final = 64  # events are coalesced batches: 64 unread means the client is stuck, not slow
HEALTH_EVERY_S: Final = 1.0
SWEEP_EVERY_S: Final = 5.0  # a silent device turns offline by staleness, which no message announces
RETRY_MS: Final = 3000

router = APIRouter(prefix="/api/events", tags=["events"])

_Seen = tuple[bool, dict[str, Any]]


@dataclass(eq=False)
class Client:
    queue: asyncio.Queue[ServerSentEvent | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_BOUND))
    dropped: bool = False
    operator: bool = False  # head or technician: also gets light command roll-ups and faults


OPERATORS: Final = frozenset({Role.HEAD, Role.TECHNICIAN})


class LiveFeed:
    """One per app: fans the hub's changes out to every connected browser."""

    def __init__(self, hub: Hub, loop: asyncio.AbstractEventLoop) -> None:
        self.hub = hub
        self.loop = loop
        self.clients: set[Client] = set()
        self._lock = threading.Lock()
        self._pending: dict[str, DeviceLive] = {}
        self._scheduled = False
        self._seen: dict[str, _Seen] = {}
        self._health = self._read_health()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._lights_pending: dict[str, ServerSentEvent] = {}  # "command:<id>" / "fault:<id>" -> latest event
        hub.registry.add_listener(self._on_change)
        hub.lights.commands.listeners.append(self._on_command)
        hub.lights.faults.listeners.append(self._on_fault)

    # --- ingest thread ---------------------------------------------------------------------------
    def _on_change(self, live: DeviceLive) -> None:
        if not self.clients or self._closed:
            return
        with self._lock:
            self._pending[live.id] = live
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop closed under us at shutdown: nobody to tell
            self.loop.call_soon_threadsafe(self._flush)

    # --- lights thread ----------------------------------------------------------------------------
    def _on_command(self, command: LightCommand) -> None:
        r = command.rollup()
        body = {"id": command.id, "vi": r.vi, "en": r.en, "done": r.done, "ok": r.ok, "total": r.total,
                "counts": r.counts}
        self._hand_over(f"command:{command.id}", ServerSentEvent(event="light_command", raw_data=_compact(body)))

    def _on_fault(self, fault: Fault) -> None:
        view = FaultPublic.of(fault, self.hub.site)
        body = {"id": view.id, "kind": view.kind, "subject": view.subject, "vi": view.vi, "en": view.en,
                "open": view.closed_ms is None, "seen": view.seen_ms is not None}
        self._hand_over(f"fault:{fault.id}", ServerSentEvent(event="light_fault", raw_data=_compact(body)))

    def _hand_over(self, key: str, event: ServerSentEvent) -> None:
        if not self.clients or self._closed:
            return
        with self._lock:
            self._lights_pending.pop(key, None)  # re-insert: the latest goes out in its own order
            self._lights_pending[key] = event
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._flush)

    # --- event loop ------------------------------------------------------------------------------
    def subscribe(self, operator: bool = False) -> Client:
        client = Client(operator=operator)
        if not self.clients:
            # Start from what the registry says now, so a change is judged against what the app loads.
            self._seen = {live.id: self._view(live, now_ms()) for live in self.hub.registry.all()}
        self.clients.add(client)
        client.queue.put_nowait(self._health_event())
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._watch())
        return client

    def unsubscribe(self, client: Client) -> None:
        self.clients.discard(client)

    async def close(self) -> None:
        self._closed = True
        with contextlib.suppress(ValueError):
            self.hub.lights.commands.listeners.remove(self._on_command)
        with contextlib.suppress(ValueError):
            self.hub.lights.faults.listeners.remove(self._on_fault)
        for client in list(self.clients):
            self._drop(client)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            lights, self._lights_pending = self._lights_pending, {}
            self._scheduled = False
        self._send_changes(pending.values())
        for event in lights.values():
            self._publish(event, operators_only=True)

    def _send_changes(self, devices: Iterable[DeviceLive]) -> None:
        now = now_ms()
        changed = []
        for live in devices:
            view = self._view(live, now)
            if self._seen.get(live.id) != view:
                self._seen[live.id] = view
                changed.append({"id": live.id, "online": view[0], "state": view[1], "seen": live.last_seen_ms})
        if changed:
            self._publish(ServerSentEvent(event="devices", raw_data=_compact(changed)))

    async def _watch(self) -> None:
        """While anyone listens: poll the hub's health every second and sweep for stale devices."""
        ticks = 0
        exiting = server_exiting()
        while self.clients and not self._closed:
            await asyncio.sleep(HEALTH_EVERY_S)
            if exiting():
                await self.close()
                return
            health = self._read_health()
            if health != self._health:
                self._health = health
                self._publish(self._health_event())
            ticks += 1
            if ticks % int(SWEEP_EVERY_S / HEALTH_EVERY_S) == 0:
                self._send_changes(self.hub.registry.all())

    def _publish(self, event: ServerSentEvent, *, operators_only: bool = False) -> None:
        for client in list(self.clients):
            if operators_only and not client.operator:
                continue
            try:
                client.queue.put_nowait(event)
            except asyncio.QueueFull:
                self._drop(client)

    def _drop(self, client: Client) -> None:
        """End a client's stream: empty its queue and leave only the end marker."""
        self.clients.discard(client)
        client.dropped = True
        while not client.queue.empty():
            client.queue.get_nowait()
        client.queue.put_nowait(None)

    def _view(self, live: DeviceLive, now: int) -> _Seen:
        # The registry replaces a device's state dict on change and never mutates it, so sharing it is safe.
        return live.is_online(now, self.hub.registry.stale_after_ms), live.state

    def _read_health(self) -> dict[str, bool]:
        return {"broker": bool(self.hub.bus.connected), "store": bool(self.hub.writer.store_ok)}

    def _health_event(self) -> ServerSentEvent:
        return ServerSentEvent(event="health", raw_data=_compact(self._health), retry=RETRY_MS)


def server_exiting() -> Callable[[], bool]:
    """Whether uvicorn is shutting down. It waits for every open response before it runs the lifespan's
    shutdown, and a live stream never ends by itself: without this, Ctrl-C would hang for as long as a phone
    keeps the app open. uvicorn's signal handler is its Server's bound `handle_exit`, which sets
    `should_exit`; under another server (or in a thread, where uvicorn installs no handler) this is a no-op."""
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    if server is None or not hasattr(server, "should_exit"):
        return lambda: False
    return lambda: bool(server.should_exit)


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def get_feed(request: Request) -> LiveFeed:
    """The app's feed, made on first use on the event loop (the listener needs the loop to hand over to)."""
    feed: LiveFeed | None = getattr(request.app.state, "live_feed", None)
    if feed is None:
        feed = LiveFeed(request.app.state.hub, asyncio.get_running_loop())
        request.app.state.live_feed = feed
    return feed


async def close_feed(app: FastAPI) -> None:
    """Called by the lifespan on shutdown: end every stream and the watcher task."""
    feed: LiveFeed | None = getattr(app.state, "live_feed", None)
    if feed is not None:
        await feed.close()


@router.get("", response_class=EventSourceResponse)
async def events(
    feed: Annotated[LiveFeed, Depends(get_feed)], who: Annotated[Principal, allow(*ANY_ROLE)]
) -> AsyncIterator[ServerSentEvent]:
    client = feed.subscribe(operator=who.role in OPERATORS)
    try:
        while (event := await client.queue.get()) is not None:
            yield event
    finally:
        feed.unsubscribe(client)
