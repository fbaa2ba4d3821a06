"""Types that several layers share: what ingest accepted from a device, and what the inventory says of one.

They live here, not in the bridge, so services, the registry and the router depend on plain data rather
than on the ingest package (the bridge must stay free of service state and services free of the bridge).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from devices.contract import DeviceTopic, Kind
from hub.storage.base import Point


@dataclass(frozen=True, slots=True)
class InventoryEntry:
    kind: Kind
    group: str


@dataclass(frozen=True, slots=True)
class Accepted:
    """One device message that passed validation and was (or is about to be) committed."""

    where: DeviceTopic
    point: Point
    message: BaseModel | None  # None for availability, whose payload is a bare word
    clock_replaced: bool = False
