"""The live feed: one subscriber of the event hub that fans domain events out to every connected browser.

Events reach it on the thread that published them (a service's worker, the API threadpool). That thread
must never wait on a browser, so the feed only notes the event in a pending map and, once per burst, hands
over to the event loop with `call_soon_threadsafe`; the loop coalesces and puts one serialized event into
each concerned client's bounded queue. A client whose queue is full is dropped: its stream ends,
EventSource reconnects and the app reloads its data.

Coalescing: `devices` events merge per device and go out only for devices whose (online, state) differs
from what the feed last sent (telemetry alone changes nothing the app shows); other events with a `key`
keep only the latest unsent one per key. Besides the events, while anyone listens the feed polls the hub's
health every second (the first event of every stream) and sweeps the registry for devices gone silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from fastapi.sse import ServerSentEvent

from hub.auth.principal import Role
from hub.events import DomainEvent, EventHub
from hub.live.devices import WHAT as DEVICES
from hub.live.devices import device_view
from hub.registry import Registry
from hub.timeutil import now_ms

QUEUE_BOUND: Final = 64  # events are coalesced batches: 64 unread means the client is stuck, not slow
HEALTH_EVERY_S: Final = 1.0
SWEEP_EVERY_S: Final = 5.0  # a silent device turns offline by staleness, which no message announces
RETRY_MS: Final = 3000

HealthReader = Callable[[], dict[str, bool]]
_Seen = tuple[object, object]  # (online, state) as last sent


@dataclass(eq=False)
class Client:
    role: Role
    queue: asyncio.Queue[ServerSentEvent | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_BOUND))
    dropped: bool = False


class LiveFeed:
    """One per app, made by the lifespan on the event loop; `close` ends every stream and unsubscribes."""

    def __init__(self, events: EventHub, registry: Registry, health: HealthReader,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.registry = registry
        self.loop = loop
        self.clients: set[Client] = set()
        self._read_health = health
        self._lock = threading.Lock()
        self._devices: dict[str, dict[str, Any]] = {}  # device id -> latest view not yet judged
        self._events: dict[str, DomainEvent] = {}  # key -> latest unsent event
        self._unkeyed = itertools.count()
        self._scheduled = False
        self._seen: dict[str, _Seen] = {}
        self._health = health()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._unsubscribe = events.subscribe(self._on_event)

    # --- any thread ---------------------------------------------------------------------------------
    def _on_event(self, event: DomainEvent) -> None:
        if not self.clients or self._closed:
            return
        with self._lock:
            if event.what == DEVICES:
                for view in _views(event.body):
                    self._devices[view["id"]] = view
            else:
                key = event.key if event.key is not None else f"#{next(self._unkeyed)}"
                self._events.pop(key, None)  # re-insert: the latest goes out in its own order
                self._events[key] = event
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop closed under us at shutdown: nobody to tell
            self.loop.call_soon_threadsafe(self._flush)

    # --- event loop --------------------------------------------------------------------------------
    def subscribe(self, role: Role) -> Client:
        client = Client(role)
        if not self.clients:
            # Start from what the registry says now, so a change is judged against what the app loads.
            now = now_ms()
            self._seen = {live.id: _seen(device_view(live, now, self.registry.stale_after_ms))
                          for live in self.registry.all()}
        self._check_health()  # now, not as it was when last polled (the feed is made before the bus connects)
        self.clients.add(client)
        client.queue.put_nowait(self._health_event())
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._watch())
        return client

    def unsubscribe(self, client: Client) -> None:
        self.clients.discard(client)

    async def close(self) -> None:
        self._closed = True
        self._unsubscribe()
        for client in list(self.clients):
            self._drop(client)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _flush(self) -> None:
        with self._lock:
            devices, self._devices = self._devices, {}
            events, self._events = self._events, {}
            self._scheduled = False
        self._send_changes(devices.values())
        for event in events.values():
            self._publish(ServerSentEvent(event=event.what, raw_data=_compact(event.body)), event.roles)

    def _send_changes(self, views: Iterable[dict[str, Any]]) -> None:
        changed = []
        for view in views:
            seen = _seen(view)
            if self._seen.get(view["id"]) != seen:
                self._seen[view["id"]] = seen
                changed.append(view)
        if changed:
            self._publish(ServerSentEvent(event=DEVICES, raw_data=_compact(changed)))

    async def _watch(self) -> None:
        """While anyone listens: poll the hub's health every second and sweep for stale devices."""
        ticks = 0
        exiting = server_exiting()
        while self.clients and not self._closed:
            await asyncio.sleep(HEALTH_EVERY_S)
            if exiting():
                await self.close()
                return
            self._check_health()
            ticks += 1
            if ticks % int(SWEEP_EVERY_S / HEALTH_EVERY_S) == 0:
                now = now_ms()
                self._send_changes(device_view(live, now, self.registry.stale_after_ms)
                                   for live in self.registry.all())

    def _check_health(self) -> None:
        health = self._read_health()
        if health != self._health:
            self._health = health
            self._publish(self._health_event())

    def _publish(self, event: ServerSentEvent, roles: frozenset[Role] | None = None) -> None:
        for client in list(self.clients):
            if roles is not None and client.role not in roles:
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

    def _health_event(self) -> ServerSentEvent:
        return ServerSentEvent(event="health", raw_data=_compact(self._health), retry=RETRY_MS)


def _views(body: object) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise TypeError(f"a {DEVICES!r} event carries a list of device views, got {type(body).__name__}")
    return body


def _seen(view: dict[str, Any]) -> _Seen:
    # The registry replaces a device's state dict on change and never mutates it, so keeping it is safe.
    return view["online"], view["state"]


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
