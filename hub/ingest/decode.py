"""Turn one MQTT message into a store point or a rejection that names the problem. Pure but for the
topic cache and the clock offsets the caller passes in: no I/O.

The point's time is the device's `ts` and its key carries the device's `seq`, so a replay overwrites itself
and two readings never overwrite each other; a device clock off by more than the bounds is corrected
(hub/ingest/clock.py) and flagged, to be counted.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

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
from hub.ingest.clock import ClockBounds, place
from hub.ingest.outbox import cut
from hub.storage.base import Point
from hub.storage.schema import AVAILABILITY, FIELD_DEVICE_TS, FIELD_ONLINE, MEASUREMENT_OF_CHANNEL

__all__ = ["MAX_DETAIL_CHARS", "MAX_TOPIC_CHARS", "ClockBounds", "Rejected", "decode"]

# A contract topic is at most ~100 ASCII characters; anything much longer is refused before it is parsed,
# cached or repeated in a detail (a flood of unique 30 KiB topics must not cost memory or disk).
MAX_TOPIC_CHARS = 256
MAX_DETAIL_CHARS = 300


@dataclass(frozen=True, slots=True)
class _Route:
    """What a topic means, worked out once: where it comes from, the model of its payload (None for
    availability's bare word) and the measurement it lands in."""

    where: DeviceTopic
    model: type[BaseModel] | None
    measurement: str


# Routes of known devices' topics, looked up instead of parsed again (a few topics per device). Unknown
# devices are never cached, so the cache is bounded by the inventory; the cap is a second guard.
_ROUTES: dict[str, _Route] = {}
_ROUTES_CAP = 1 << 17


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str  # bad_topic | oversized | malformed | invalid | unknown_device | wrong_kind
    detail: str  # names the field or the part that is wrong (at most MAX_DETAIL_CHARS)


def _reject(reason: str, detail: str) -> Rejected:
    return Rejected(reason, cut(detail, MAX_DETAIL_CHARS))


def decode(
    topic: str,
    payload: bytes,
    now_ms: int,
    inventory: Mapping[str, InventoryEntry],
    bounds: ClockBounds,
    offsets: MutableMapping[str, int] | None = None,
    serial: int = 0,
) -> Accepted | Rejected:
    """`offsets`: per-device clock offsets, read and set (hub/ingest/clock.py); `serial`: the key's last
    part for availability, whose bare-word payload has no seq (the caller keeps it unique)."""
    route = _ROUTES.get(topic)
    known = route is not None
    if route is None:
        found = _route(topic)
        if isinstance(found, Rejected):
            return found
        route = found
    where = route.where
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejected("oversized", f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    entry = inventory.get(where.device)
    if entry is None:
        return Rejected("unknown_device", f"device {where.device!r} is not in the site inventory")
    if entry.kind != where.kind:
        return Rejected("wrong_kind", f"device {where.device!r} is a {entry.kind}, not a {where.kind}")
    if not known:
        if len(_ROUTES) >= _ROUTES_CAP:
            _ROUTES.clear()
        _ROUTES[topic] = route
    if route.model is None:
        return _availability(where, entry, payload, now_ms, serial)
    return _json_message(route, route.model, entry, payload, now_ms, bounds, {} if offsets is None else offsets)


def _route(topic: str) -> _Route | Rejected:
    where = _parse(topic)
    if isinstance(where, Rejected):
        return where
    if where.channel == Channel.AVAILABILITY:
        return _Route(where, None, AVAILABILITY)
    if where.channel == Channel.TELEMETRY:
        return _Route(where, KINDS[where.kind].models[where.channel], where.kind.value)
    measurement = MEASUREMENT_OF_CHANNEL.get(where.channel)
    if measurement is None:
        return Rejected("bad_topic", f"channel {where.channel!s} is not a device -> hub channel")
    return _Route(where, KINDS[where.kind].models[where.channel], measurement)


def _availability(
    where: DeviceTopic, entry: InventoryEntry, payload: bytes, now_ms: int, serial: int
) -> Accepted | Rejected:
    word = payload.decode("utf-8", errors="replace").strip()
    if word not in (ONLINE, OFFLINE):
        return Rejected("invalid", f"availability: expected 'online' or 'offline', got {word[:40]!r}")
    fields = {FIELD_ONLINE: word == ONLINE}
    return Accepted(where, Point(AVAILABILITY, where.site, where.device, entry.group, now_ms, fields, serial), None)


def _json_message(
    route: _Route,
    model: type[BaseModel],
    entry: InventoryEntry,
    payload: bytes,
    now_ms: int,
    bounds: ClockBounds,
    offsets: MutableMapping[str, int],
) -> Accepted | Rejected:
    where = route.where
    try:
        message = model.model_validate_json(payload)
    except ValidationError as exc:
        return _rejection(where.channel, exc)
    _share_fields_set(model, message)
    # Device messages are flat by contract (scalars only), so the validated values are the point's fields
    # as they are: taken from the model's own dict, with no dump (the outbox encodes them once, in Rust).
    data = {k: v for k, v in message.__dict__.items() if v is not None}
    device_ts = int(data.pop("ts"))
    ts, replaced = place(where.device, device_ts, now_ms, bounds, offsets)
    if replaced:
        data[FIELD_DEVICE_TS] = device_ts  # keep what the device said, for the technician
    point = Point(route.measurement, where.site, where.device, entry.group, ts, data, int(data["seq"]))
    return Accepted(where, point, message, replaced)


# pydantic gives every validated model its own set of the field names its payload had (~730 bytes for a
# light's telemetry, more than the values), and a routed message can wait in a service's queue with 20,000
# others. Models whose payloads named the same fields share one set: nothing mutates it (device models are
# frozen; pydantic's copies take a copy of it).
_FIELDS_SETS: dict[type[BaseModel], set[str]] = {}


def _share_fields_set(model: type[BaseModel], message: BaseModel) -> None:
    own = message.__pydantic_fields_set__
    shared = _FIELDS_SETS.setdefault(model, own)
    if shared is not own and shared == own:
        object.__setattr__(message, "__pydantic_fields_set__", shared)


def _parse(topic: str) -> DeviceTopic | Rejected:
    if len(topic) > MAX_TOPIC_CHARS:
        return Rejected("bad_topic", f"topic is {len(topic)} characters; the limit is {MAX_TOPIC_CHARS}")
    try:
        return parse_topic(topic)
    except TopicError as exc:
        return _reject("bad_topic", str(exc))


def _rejection(channel: Channel, exc: ValidationError) -> Rejected:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return _reject("malformed", f"{channel}: not valid JSON ({first['msg']})")
    field = ".".join(str(part) for part in first["loc"]) or channel.value
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return _reject("invalid", f"{channel}.{field}: {first['msg']}{more}")
