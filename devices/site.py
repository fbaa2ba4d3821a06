"""The site inventory: a zone's roads, alleys, loudspeaker zones, power cabinets and devices.

The file format is TOML and is documented in docs/site-inventory.md; `load_site` reads it and reports a
wrong file with the line and the field (see devices/site_loader.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, Field, PrivateAttr, StringConstraints, model_validator

from devices.contract import Kind
from devices.messages import DeviceId, Model


def _nfc(value: str) -> str:
    # Editors on some systems save Vietnamese decomposed (NFD); one form keeps names comparable and sortable.
    return unicodedata.normalize("NFC", value)


Name = Annotated[str, StringConstraints(min_length=1, max_length=120), AfterValidator(_nfc)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class Position(Model):
    lat: Latitude
    lon: Longitude


class Road(Model):
    id: DeviceId
    name: Name
    path: Annotated[list[Position], Field(min_length=2, max_length=500)]


class Alley(Model):
    id: DeviceId
    name: Name
    road: DeviceId  # the road the alley branches off
    path: Annotated[list[Position], Field(min_length=2, max_length=500)]


class Zone(Model):
    """A loudspeaker zone (vùng phát thanh)."""

    id: DeviceId
    name: Name


class Cabinet(Model):
    """A power cabinet (tủ điện) that feeds a set of lights."""

    id: DeviceId
    name: Name
    position: Position


class Gate(Model):
    """An entry/exit point (cổng, điểm ra vào) watched by cameras."""

    id: DeviceId
    name: Name
    position: Position


class Device(Model):
    id: DeviceId
    kind: Kind
    name: Name
    group: DeviceId  # a light's alley or road, a speaker's zone, a camera's gate
    position: Position
    cabinet: DeviceId | None = None  # lights only


class Site(Model):
    _index: tuple[list[Device], dict[str, Device]] | None = PrivateAttr(default=None)
    id: DeviceId
    name: Name
    commune: Name
    district: Name
    province: Name
    timezone: Name = "Asia/Ho_Chi_Minh"
    position: Position
    roads: Annotated[list[Road], Field(max_length=1000)] = Field(default_factory=list)
    alleys: Annotated[list[Alley], Field(max_length=1000)] = Field(default_factory=list)
    zones: Annotated[list[Zone], Field(max_length=200)] = Field(default_factory=list)
    cabinets: Annotated[list[Cabinet], Field(max_length=500)] = Field(default_factory=list)
    gates: Annotated[list[Gate], Field(max_length=200)] = Field(default_factory=list)
    devices: Annotated[list[Device], Field(max_length=20_000)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_references(self) -> Site:
        check_references(self)
        return self

    def device(self, device_id: str) -> Device | None:
        # An index built once per device list: the hub looks devices up per message and per row of a
        # 10,000-device list. Keyed by the list itself, so a copy with other devices gets its own index.
        cached = self._index
        if cached is None or cached[0] is not self.devices:
            cached = self._index = (self.devices, {d.id: d for d in self.devices})
        return cached[1].get(device_id)

    def groups(self) -> dict[str, str]:
        """Every group id (road, alley, zone, gate) with its display name."""
        out: dict[str, str] = {}
        for items in (self.roads, self.alleys, self.zones, self.gates):
            for item in items:
                out[item.id] = item.name
        return out

    def devices_of(self, kind: Kind | str) -> list[Device]:
        return [d for d in self.devices if d.kind == kind]

    def lights_in(self, group: str) -> list[Device]:
        """The lights of an alley or a road; a road's lights include those of the alleys off it."""
        groups = {group} | {a.id for a in self.alleys if a.road == group}
        return [d for d in self.devices if d.kind == Kind.LIGHT and d.group in groups]

    def cabinet_of(self, device_id: str) -> Cabinet | None:
        """The power cabinet feeding a light, or None (unknown device, no cabinet, not a light)."""
        device = self.device(device_id)
        if device is None or device.cabinet is None:
            return None
        return next((c for c in self.cabinets if c.id == device.cabinet), None)

    def fed_by(self, cabinet_id: str) -> list[Device]:
        """The lights a power cabinet feeds."""
        return [d for d in self.devices if d.cabinet == cabinet_id]


def check_references(site: Site) -> None:
    """Ids are unique and every reference points at something that exists (errors name the field)."""
    _unique(_paths("devices", site.devices))
    _unique(_paths("cabinets", site.cabinets))
    # Roads, alleys, zones and gates share one namespace: a command or a schedule names a group by id alone.
    _unique(
        _paths("roads", site.roads)
        + _paths("alleys", site.alleys)
        + _paths("zones", site.zones)
        + _paths("gates", site.gates)
    )
    roads = {r.id for r in site.roads}
    for i, alley in enumerate(site.alleys):
        if alley.road not in roads:
            raise ValueError(f"alleys[{i}].road: unknown road {alley.road!r}")
    light_groups = roads | {a.id for a in site.alleys}
    allowed = {
        Kind.LIGHT: light_groups,
        Kind.SPEAKER: {z.id for z in site.zones},
        Kind.CAMERA: {g.id for g in site.gates},
    }
    cabinets = {c.id for c in site.cabinets}
    for i, device in enumerate(site.devices):
        if device.group not in allowed[device.kind]:
            raise ValueError(f"devices[{i}].group: {device.group!r} is not a known group for a {device.kind}")
        _check_cabinet(f"devices[{i}].cabinet", device, cabinets)


def _check_cabinet(path: str, device: Device, cabinets: set[str]) -> None:
    if device.cabinet is None:
        return
    if device.kind != Kind.LIGHT:
        raise ValueError(f"{path}: only lights are fed by a power cabinet, not a {device.kind}")
    if device.cabinet not in cabinets:
        raise ValueError(f"{path}: unknown cabinet {device.cabinet!r}")


_Item = Road | Alley | Zone | Cabinet | Gate | Device


def _paths(table: str, items: Sequence[_Item]) -> list[tuple[str, str]]:
    """(path, id) of each item, e.g. ("devices[3]", "den-ngo3-04"), for errors that name the path."""
    return [(f"{table}[{i}]", item.id) for i, item in enumerate(items)]


def _unique(paths: list[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for path, value in paths:
        if value in seen:
            raise ValueError(f"{path}.id: id {value!r} is used twice (first at {seen[value]})")
        seen[value] = path
