"""Turn one MQTT message into a store point or a rejection that names the problem. Pure: no I/O.

The point's time is the device's `ts` so a replay overwrites rather than duplicates; a device clock that
is off by more than the configured bounds is replaced by the ingest time (and flagged, to be counted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from pydantic import ValidationError

from devices.contract import (
    MAX_PAYLOAD_BYTES,
    OFFLINE,
    ONLINE,
    Channel,
    DeviceTopic,
    TopicError,
    parse_topic,
)
from devices.kinds import KINDS
from hub.domain import Accepted, InventoryEntry
from hub.storage.base import Point


@dataclass(frozen=True, slots=True)
class ClockBounds:
    ahead_ms: int
    behind_ms: int


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str  # bad_topic | oversized | malformed | invalid | unknown_device | wrong_kind
    detail: str  # names the field or the part that is wrong


# Where each device -> hub channel lands in the store (see docs/mqtt-contract.md, "storage").
MEASUREMENT_OF_CHANNEL = {Channel.STATE: "state", Channel.ACK: "command", Channel.EVENT: "event"}


def decode(
    topic: str,
    payload: bytes,
    now_ms: int,
    inventory: Mapping[str, InventoryEntry],
    bounds: ClockBounds,
) -> Accepted | Rejected:
    where = _parse(topic)
    if isinstance(where, Rejected):
        return where
    if where.channel not in MEASUREMENT_OF_CHANNEL and where.channel not in (Channel.TELEMETRY, Channel.AVAILABILITY):
        return Rejected("bad_topic", f"channel {where.channel!s} is not a device -> hub channel")
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejected("oversized", f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    entry = inventory.get(where.device)
    if entry is None:
        return Rejected("unknown_device", f"device {where.device!r} is not in the site inventory")
    if entry.kind != where.kind:
        return Rejected("wrong_kind", f"device {where.device!r} is a {entry.kind}, not a {where.kind}")
    if where.channel == Channel.AVAILABILITY:
        return _availability(where, entry, payload, now_ms)
    return _json_message(where, entry, payload, now_ms, bounds)


def _availability(where: DeviceTopic, entry: InventoryEntry, payload: bytes, now_ms: int) -> Accepted | Rejected:
    word = payload.decode("utf-8", errors="replace").strip()
    if word not in (ONLINE, OFFLINE):
        return Rejected("invalid", f"availability: expected 'online' or 'offline', got {word[:40]!r}")
    point = Point("availability", where.site, where.device, entry.group, now_ms, {"online": word == ONLINE})
    return Accepted(where, point, None)


def _json_message(
    where: DeviceTopic, entry: InventoryEntry, payload: bytes, now_ms: int, bounds: ClockBounds
) -> Accepted | Rejected:
    model = KINDS[where.kind].models[where.channel]  # where.kind is a Kind already: no enum lookup
    try:
        message = model.model_validate_json(payload)
    except ValidationError as exc:
        return _rejection(where.channel, exc)
    # Device messages are flat by contract (scalars only), so the dump is the point's fields as it is.
    data = message.model_dump(exclude_none=True)
    ts = int(data.pop("ts"))
    replaced = not (now_ms - bounds.behind_ms <= ts <= now_ms + bounds.ahead_ms)
    if replaced:
        data["device_ts"] = ts  # keep what the device said, for the technician
        ts = now_ms
    measurement = MEASUREMENT_OF_CHANNEL.get(where.channel, where.kind.value)
    point = Point(measurement, where.site, where.device, entry.group, ts, data)
    return Accepted(where, point, message, replaced)


@lru_cache(maxsize=1 << 17)
def _parse(topic: str) -> DeviceTopic | Rejected:
    """Topics repeat (a few per device), so each is parsed and validated once, then looked up."""
    try:
        return parse_topic(topic)
    except TopicError as exc:
        return Rejected("bad_topic", str(exc))


def _rejection(channel: Channel, exc: ValidationError) -> Rejected:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return Rejected("malformed", f"{channel}: not valid JSON ({first['msg']})")
    field = ".".join(str(part) for part in first["loc"]) or channel.value
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return Rejected("invalid", f"{channel}.{field}: {first['msg']}{more}")
