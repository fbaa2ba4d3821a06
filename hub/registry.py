"""The live registry: what each device of the site last said (availability, state, telemetry, last seen).

Fed by ingest (one thread), read by the API and the event stream. Listeners hear every change so the
web app updates without reload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devices.contract import Channel, Kind
from devices.kinds import HUB_OWNED
from devices.site import Device, Position, Site
from hub.domain import Accepted, InventoryEntry

ChangeListener = Callable[["DeviceLive"], None]


@dataclass(slots=True)
class DeviceLive:
    id: str
    kind: Kind
    name: str
    group: str
    position: Position
    cabinet: str | None = None
    online: bool = False
    last_seen_ms: int | None = None
    state: dict[str, Any] = field(default_factory=dict)
    telemetry: dict[str, Any] = field(default_factory=dict)
    telemetry_ms: int | None = None
    version: int = 0  # the registry's version when this device last changed (API caches key on it)

    def is_online(self, now_ms: int, stale_after_ms: int) -> bool:
        """Online means the device said so and has been heard from recently."""
        return self.online and self.last_seen_ms is not None and now_ms - self.last_seen_ms <= stale_after_ms


class Registry:
    def __init__(self, site: Site, stale_after_ms: int = 180_000) -> None:
        self.site = site
        self.stale_after_ms = stale_after_ms
        self._devices = {d.id: _live(d) for d in site.devices}
        self._listeners: list[ChangeListener] = []
        # Bumped on every change listeners hear of (not on a bare "still here"): the device list's cache key.
        self.version = 0
        self.inventory: dict[str, InventoryEntry] = {d.id: InventoryEntry(d.kind, d.group) for d in site.devices}

    def add_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def get(self, device_id: str) -> DeviceLive | None:
        return self._devices.get(device_id)

    def all(self) -> list[DeviceLive]:
        return list(self._devices.values())

    def apply(self, accepted: Accepted, now_ms: int) -> None:
        device = self._devices.get(accepted.where.device)
        if device is None:
            return
        where = accepted.where
        changed = _APPLY[where.channel](device, accepted)
        was_seen = device.last_seen_ms
        if (where.kind, where.channel) not in HUB_OWNED:  # the hub's own retained message is not the device
            device.last_seen_ms = now_ms
        if changed or was_seen is None:
            self.version += 1
            device.version = self.version
            for listener in self._listeners:
                listener(device)


def _live(device: Device) -> DeviceLive:
    return DeviceLive(device.id, device.kind, device.name, device.group, device.position, device.cabinet)


def _availability(device: DeviceLive, accepted: Accepted) -> bool:
    online = bool(accepted.point.fields["online"])
    changed = online != device.online
    device.online = online
    return changed


def _state(device: DeviceLive, accepted: Accepted) -> bool:
    assert accepted.message is not None
    new = accepted.message.model_dump(exclude={"ts", "seq"}, exclude_none=True)
    changed = new != device.state
    device.state = new
    return changed


def _telemetry(device: DeviceLive, accepted: Accepted) -> bool:
    device.telemetry = {k: v for k, v in accepted.point.fields.items() if k != "seq"}
    device.telemetry_ms = accepted.point.ts_ms
    return True


def _nothing(_device: DeviceLive, _accepted: Accepted) -> bool:
    return False


_APPLY: dict[Channel, Callable[[DeviceLive, Accepted], bool]] = {
    Channel.AVAILABILITY: _availability,
    Channel.STATE: _state,
    Channel.TELEMETRY: _telemetry,
    Channel.ACK: _nothing,
    Channel.EVENT: _nothing,
}
