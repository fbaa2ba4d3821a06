"""Device changes as domain events: a small service that wants every kind's availability and state.

It runs on its own router worker, so the ingest thread no longer calls into the live feed: per batch it
reads the registry once for each device the batch touched and publishes one `devices` event. Telemetry
changes nothing the app shows, so it is not routed here at all.
"""

from __future__ import annotations

from devices.contract import Channel, Kind
from hub.events import EVERYONE, DomainEvent, EventHub
from hub.registry import DeviceLive, Registry
from hub.service import Batch, Clock, Route, ServiceBase, ServiceContext, ServiceSpec

WHAT = "devices"


def device_view(live: DeviceLive, now_ms: int, stale_after_ms: int) -> dict[str, object]:
    """What the app shows of a device; the feed sends it again only when `online` or `state` changed."""
    return {"id": live.id, "online": live.is_online(now_ms, stale_after_ms), "state": live.state,
            "seen": live.last_seen_ms}


class DeviceChanges(ServiceBase):
    name = "devices"
    wants: frozenset[Route] = frozenset((kind, channel) for kind in Kind
                                        for channel in (Channel.AVAILABILITY, Channel.STATE))

    def __init__(self, registry: Registry, events: EventHub, clock: Clock) -> None:
        self._registry, self._events, self._clock = registry, events, clock

    def handle(self, batch: Batch) -> None:
        touched = dict.fromkeys(item.where.device for item in batch)  # in order, once each
        now = self._clock()
        views = [device_view(live, now, self._registry.stale_after_ms)
                 for device in touched if (live := self._registry.get(device)) is not None]
        if views:
            self._events.publish(DomainEvent(WHAT, EVERYONE, views))

    def resync(self) -> None:
        """Changes were lost: publish every device; the feed sends only what differs from what it sent."""
        now = self._clock()
        self._events.publish(DomainEvent(WHAT, EVERYONE, [
            device_view(live, now, self._registry.stale_after_ms) for live in self._registry.all()]))


def build(ctx: ServiceContext) -> DeviceChanges:
    return DeviceChanges(ctx.registry, ctx.events, ctx.clock)


SPEC = ServiceSpec("devices", build)
