"""A hub on the in-memory bus for the broadcasts API tests: a site with two loudspeaker zones, a device-side
client that watches what the hub sends speakers and speaks for them (availability, events)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from devices.contract import Channel, Kind, topic
from devices.site import Device, Zone
from devices.speaker import SpeakerEvent
from hub.api.app import create_app
from hub.auth.principal import Role
from hub.broadcasts.service import BroadcastOptions, Broadcasts
from hub.bus.base import Message
from hub.bus.memory import MemoryBroker, MemoryBus
from hub.runtime import Hub
from hub.timeutil import now_ms
from tests.auth.clients import bearer
from tests.broadcasts.kit import TZ
from tests.hub.apphub import memory_hub
from tests.hub.sites import P, small_site

SPEAKERS = ("loa-1", "loa-2", "loa-3", "loa-4")


def speaker_site() -> Any:
    base = small_site(2)
    speakers = [Device(id=s, kind=Kind.SPEAKER, name=f"Loa {s[-1]}", group="vung-bac" if s in SPEAKERS[:2]
                       else "vung-nam", position=P) for s in SPEAKERS]
    devices = [d for d in base.devices if d.kind != Kind.SPEAKER] + speakers
    return base.model_copy(update={"zones": [Zone(id="vung-bac", name="Vùng phía Bắc"),
                                             Zone(id="vung-nam", name="Vùng phía Nam")], "devices": devices})


@dataclass
class Rig:
    hub: Hub
    client: TestClient
    device: MemoryBus
    sent: list[Message] = field(default_factory=list)
    seq: int = 0

    @property
    def service(self) -> Broadcasts:
        found = self.hub.services["broadcasts"]
        assert isinstance(found, Broadcasts)
        return found

    def head(self) -> dict[str, str]:
        return bearer(self.hub, Role.HEAD)

    def on(self, speaker: str, channel: Channel) -> list[dict[str, Any]]:
        where = topic(self.hub.site.id, Kind.SPEAKER, speaker, channel)
        return [json.loads(m.payload) for m in list(self.sent) if m.topic == where]

    def online(self, *speakers: str) -> None:
        for s in speakers:
            self.device.publish(topic(self.hub.site.id, Kind.SPEAKER, s, Channel.AVAILABILITY), b"online",
                                retain=True)

    def event(self, speaker: str, event: str, occurrence_id: str, bulletin_id: str, at_ms: int,
              detail: str | None = None) -> None:
        self.seq += 1
        message = SpeakerEvent(ts=now_ms(), seq=self.seq, event=event, occurrence_id=occurrence_id,  # type: ignore[arg-type]
                               bulletin_id=bulletin_id, at_ms=at_ms, detail=detail)
        self.device.publish(topic(self.hub.site.id, Kind.SPEAKER, speaker, Channel.EVENT),
                            message.model_dump_json(exclude_none=True).encode())


@contextmanager
def rig(tmp: Path, options: BroadcastOptions | None = None) -> Iterator[Rig]:
    broker = MemoryBroker()
    hub = memory_hub(tmp, speaker_site(), broker,
                     options={"broadcasts": options or BroadcastOptions(tick_s=0.05)})
    device = broker.client()
    r = Rig(hub, TestClient(create_app(lambda: hub)), device)
    device.subscribe(f"hamlet/v1/{hub.site.id}/speaker/+/+", lambda m: r.sent.append(m))
    device.start()
    with r.client:
        yield r
    device.stop()


def local(days: int, hhmm: str) -> str:
    """An ISO time `days` from today at `hhmm`, site time."""
    h, m = (int(x) for x in hhmm.split(":"))
    day = datetime.now(TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, h, m, tzinfo=TZ).isoformat()
