"""The live feed behind GET /api/events, on a memory hub: what reaches a client, what is coalesced away,
the health events, and that a client that stops reading is dropped instead of blocking a service."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.sse import ServerSentEvent

from devices.contract import topic
from hub.auth.principal import Role
from hub.bus.memory import MemoryBroker
from hub.live import feed as live
from hub.live.feed import LiveFeed
from hub.runtime import Hub
from hub.timeutil import now_ms
from tests.hub.apphub import memory_hub
from tests.hub.sites import small_site
from tests.support.waiting import eventually

SITE = small_site()


@pytest.fixture
def hub(tmp_path: Path, broker: MemoryBroker) -> Iterator[Hub]:
    """A started hub: device changes reach the feed from the router's worker, as in production."""
    hub = memory_hub(tmp_path, SITE, broker)
    hub.start()
    yield hub
    hub.stop()


def publish(broker: MemoryBroker, *messages: tuple[str, str, bytes]) -> None:
    device = broker.client()
    device.start()
    for dev, channel, payload in messages:
        kind = SITE.device(dev).kind  # type: ignore[union-attr]
        device.publish(topic(SITE.id, kind, dev, channel), payload, retain=channel == "availability")
    device.stop()


def light_state(on: bool) -> bytes:
    return b'{"ts": %d, "seq": 1, "state": "%s", "brightness": 80}' % (now_ms(), b"ON" if on else b"OFF")


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """asyncio.run on a thread of its own: Playwright's sync API keeps a loop running on the main thread."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=target)
    worker.start()
    worker.join(30)
    if worker.is_alive():
        raise AssertionError("the scenario did not finish within 30 s")
    if failure:
        raise failure[0]


def handled(hub: Hub, service: str) -> int:
    return next(s.handled for s in hub.router.status() if s.name == service)


def open_feed(hub: Hub) -> LiveFeed:
    return LiveFeed(hub.events, hub.registry, hub.health_flags, asyncio.get_running_loop())


async def next_event(queue: asyncio.Queue[ServerSentEvent | None], timeout: float = 2.0) -> ServerSentEvent | None:
    return await asyncio.wait_for(queue.get(), timeout)


def test_a_client_gets_health_first_then_only_what_changed(broker: MemoryBroker, hub: Hub) -> None:
    async def scenario() -> None:
        feed = open_feed(hub)
        client = feed.subscribe(Role.RESIDENT)
        first = await next_event(client.queue)
        assert first is not None and first.event == "health" and first.raw_data == '{"broker":true,"store":true}'

        await asyncio.to_thread(publish, broker, ("den-1", "availability", b"online"),
                                ("den-1", "state", light_state(True)))
        event = await next_event(client.queue)
        assert event is not None and event.event == "devices" and event.raw_data is not None
        live = hub.registry.get("den-1")
        assert live is not None
        assert json.loads(event.raw_data) == [{"id": "den-1", "online": True, "seen": live.last_seen_ms,
                                               "state": {"state": "ON", "brightness": 80, "mode": "schedule"}}]

        # Telemetry changes nothing the app shows: no event for it.
        telemetry = b'{"ts": %d, "seq": 2, "power_w": 40, "voltage_v": 220, "energy_wh": 1, "level": 80}' % now_ms()
        await asyncio.to_thread(publish, broker, ("den-1", "telemetry", telemetry))
        await asyncio.to_thread(publish, broker, ("den-1", "availability", b"offline"))
        event = await next_event(client.queue)
        assert event is not None and '"online":false' in (event.raw_data or "")
        feed.unsubscribe(client)
        await feed.close()

    run(scenario)


def test_health_changes_are_sent(hub: Hub) -> None:
    async def scenario() -> None:
        feed = open_feed(hub)
        client = feed.subscribe(Role.RESIDENT)
        await next_event(client.queue)
        hub.writer.stop()  # so that no successful write sets it back
        hub.writer.store_ok = False
        event = await next_event(client.queue, timeout=3.0)
        assert event is not None and event.event == "health"
        assert event.raw_data == '{"broker":true,"store":false}'
        await feed.close()
        assert await next_event(client.queue) is None  # close() ends every stream

    run(scenario)


def test_a_client_that_stops_reading_is_dropped(
    broker: MemoryBroker, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "QUEUE_BOUND", 3)

    async def scenario() -> None:
        feed = open_feed(hub)
        stuck = feed.subscribe(Role.RESIDENT)  # never reads
        reader = feed.subscribe(Role.HEAD)
        for i in range(6):
            await asyncio.to_thread(publish, broker, ("den-2", "state", light_state(i % 2 == 0)))
            event = await next_event(reader.queue)
            while event is not None and event.event != "devices":
                event = await next_event(reader.queue)
        assert stuck.dropped and stuck not in feed.clients
        assert stuck.queue.qsize() == 1 and stuck.queue.get_nowait() is None  # its stream ends
        assert reader in feed.clients and not reader.dropped
        await feed.close()

    run(scenario)


def test_no_client_no_work(broker: MemoryBroker, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without clients the feed only checks an empty set: nothing is queued or scheduled. A hand-over would
    empty the pending state again as soon as it ran, so the test counts hand-overs, after the devices
    service has handled the message and the loop has had its turn."""

    async def scenario() -> None:
        feed = open_feed(hub)
        flushes: list[int] = []
        flush = feed._flush

        def counted() -> None:
            flushes.append(1)
            flush()

        monkeypatch.setattr(feed, "_flush", counted)
        await asyncio.to_thread(publish, broker, ("den-1", "state", light_state(True)))
        await asyncio.to_thread(eventually, lambda: handled(hub, "devices") >= 1)  # it was published
        await asyncio.sleep(0.05)  # anything the hand-over scheduled runs now
        assert flushes == []
        assert not feed._devices and not feed._events and not feed._scheduled
        await feed.close()

    run(scenario)
