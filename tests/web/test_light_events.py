"""Light command roll-ups and light faults on GET /api/events: published by the lights as domain events,
handed over like the device changes, sent to the head and technician only; the feed lets go when it closes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.sse import ServerSentEvent

from hub.auth.principal import Role
from hub.bus.memory import MemoryBroker
from hub.commands.model import Target
from hub.lights.commands.model import CommandRequest
from hub.lights.commands.service import Who
from hub.lights.faults.detect import FaultKind
from hub.lights.faults.store import Fault
from hub.live.feed import LiveFeed
from hub.runtime import Hub
from hub.timeutil import now_ms
from tests.hub.apphub import memory_hub
from tests.web.test_events import SITE, run


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = memory_hub(tmp_path, SITE, MemoryBroker())
    hub.start()
    yield hub
    hub.stop()


async def next_of(client_queue: asyncio.Queue[ServerSentEvent | None], kind: str) -> ServerSentEvent:
    while True:
        event = await asyncio.wait_for(client_queue.get(), 5.0)
        assert event is not None
        if event.event == kind:
            return event


def test_rollups_and_faults_reach_operators_only(hub: Hub) -> None:
    async def scenario() -> None:
        feed = LiveFeed(hub.events, hub.registry, hub.health_flags, asyncio.get_running_loop())
        head = feed.subscribe(Role.HEAD)
        technician = feed.subscribe(Role.TECHNICIAN)
        resident = feed.subscribe(Role.RESIDENT)

        request = CommandRequest(target=Target(group="ngo-1"), on=True)
        command = await asyncio.to_thread(hub.lights.commands.submit, request, Who(1, "Trưởng khu"))
        # As the lights' thread does on a roll-up change (a command just submitted has not changed yet).
        await asyncio.to_thread(lambda: [tell(command) for tell in hub.lights.commands.listeners])
        event = await next_of(head.queue, "light_command")
        body = json.loads(event.raw_data or "")
        assert body["id"] == command.id and body["total"] == 2 and body["done"] is False
        assert body["vi"].startswith(command.rollup().vi.split(":")[0]) and body["en"]
        assert json.loads((await next_of(technician.queue, "light_command")).raw_data or "") == body

        fault = Fault(id=7, kind=FaultKind.LAMP_FAILURE, subject="den-1", opened_ms=now_ms(), seen_ms=None,
                      seen_by=None, closed_ms=None, detail={})
        await asyncio.to_thread(lambda: [tell(fault) for tell in hub.lights.faults.listeners])
        event = await next_of(head.queue, "light_fault")
        body = json.loads(event.raw_data or "")
        assert body == {"id": 7, "kind": "lamp_failure", "subject": "den-1", "vi": "Đèn 1: bóng đèn hỏng",
                        "en": body["en"], "open": True, "seen": False}

        await asyncio.sleep(0.2)
        kinds = []
        while not resident.queue.empty():
            item = resident.queue.get_nowait()
            kinds.append(item.event if item is not None else None)
        assert "light_command" not in kinds and "light_fault" not in kinds

        await feed.close()
        assert not hub.events.listened  # the feed was the only subscriber

    run(scenario)
