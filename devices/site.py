"""The site inventory: a zone's roads, alleys, loudspeaker zones, power cabinets and devices.

The file format is TOML and is documented in docs/site-inventory.md; `load_site` reads it and reports a
wrong file with the line and the field (see devices/site_loader.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from devices.contract import Kind
from devices.messages import DeviceId, Model

Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
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
    id: DeviceId
    name: Name
    commune: Name
    district: Name
    province: Name
    timezone: Name = "Asia/Ho_Chi_Minh"
    position: Position
    roads: Annotated[list[Road], Field(max_length=1000)] = []
    alleys: Annotated[list[Alley], Field(max_length=1000)] = []
    zones: Annotated[list[Zone], Field(max_length=200)] = []
    cabinets: Annotated[list[Cabinet], Field(max_length=500)] = []
    gates: Annotated[list[Gate], Field(max_length=200)] = []
    devices: Annotated[list[Device], Field(max_length=20_000)] = []

    @model_validator(mode="after")
    def _check_references(self) -> Site:
        check_references(self)
        return self

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.id == device_id), None)

    def groups(self) -> dict[str, str]:
        """Every group id (road, alley, zone, gate) with its display name."""
        out: dict[str, str] = {}
        for items in (self.roads, self.alleys, self.zones, self.gates):
            for item in items:
                out[item.id] = item.name
        return out


def check_references(site: Site) -> None:
    """Ids are unique and every reference points at something that exists (errors name the field)."""
    _unique("devices", [d.id for d in site.devices])
    _unique("groups (roads, alleys, zones, gates)", list(_group_ids(site)))
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
        if device.cabinet is not None and (device.kind != Kind.LIGHT or device.cabinet not in cabinets):
            raise ValueError(f"devices[{i}].cabinet: unknown cabinet {device.cabinet!r} (lights only)")


def _group_ids(site: Site) -> list[str]:
    return [x.id for x in (*site.roads, *site.alleys, *site.zones, *site.gates)]


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise ValueError(f"{what}: id {value!r} is used twice")
        seen.add(value)
