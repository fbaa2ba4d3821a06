"""The device list of a commune (GET /api/devices): filters, order, keyset pages and two projections, as
pure functions over a snapshot of the registry.

A snapshot fixes, for one registry version, one open-fault set and one instant, each device's `online`
and `problem` (offline, an open fault, or a device reporting trouble). Pages are cut by a cursor that
names the last row's sort key, so a page stays right while devices come and go in front of it: keyset
paging, as `GET /api/audit` does. Each device's JSON is encoded once per change of that device and
reused by every page and query that includes it (`Fragments`).
"""

from __future__ import annotations

import bisect
import json
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from devices.contract import Kind
from hub.registry import DeviceLive

View = Literal["full", "map"]
StateFilter = Literal["online", "offline", "problem"]
Order = Literal["site", "problems"]
SortKey = tuple[int, ...]

# State keys the map needs to colour a dot and say why (status.js: condition, statusText).
MAP_STATE_KEYS = ("state", "brightness", "stream_ok", "status", "health", "reasons")  # health: a camera's, probed


class CursorError(ValueError):
    """A cursor this list did not hand out (or one from another order)."""


class Row(NamedTuple):  # a tuple: a snapshot makes 10,000 of them, and a dataclass is 3x slower to build
    place: int  # the device's place in the site inventory: the stable tie-break of every order
    live: DeviceLive
    online: bool
    problem: bool


@dataclass(frozen=True, slots=True)
class ListQuery:
    kind: Kind | None = None
    members: Collection[str] | None = None  # a group's devices; None: every device
    state: StateFilter | None = None
    order: Order = "site"


def reports_trouble(live: DeviceLive) -> bool:
    """What a device says of itself (a camera in its telemetry: its state is the hub's, whose probe found no
    picture), a speaker in error."""
    return (live.state.get("stream_ok") is False or live.state.get("status") == "error"
            or live.telemetry.get("stream_ok") is False)


@dataclass(frozen=True, slots=True)
class Judge:
    """A device's `online` and `problem` at one instant, against one set of open faults."""

    now_ms: int
    stale_after_ms: int
    faulted: Collection[str]

    def __call__(self, place: int, live: DeviceLive) -> Row:
        # DeviceLive.is_online, inlined: a changed list judges up to every device of the commune.
        seen = live.last_seen_ms
        online = live.online and seen is not None and self.now_ms - seen <= self.stale_after_ms
        return Row(place, live, online, not online or live.id in self.faulted or reports_trouble(live))


def snapshot(devices: Sequence[DeviceLive], now_ms: int, stale_after_ms: int, faulted: Collection[str]) -> list[Row]:
    judge = Judge(now_ms, stale_after_ms, faulted)
    return [judge(place, live) for place, live in enumerate(devices)]


_STATE: Mapping[StateFilter, Callable[[Row], bool]] = {
    "online": lambda r: r.online,
    "offline": lambda r: not r.online,
    "problem": lambda r: r.problem,
}

_ORDER: Mapping[Order, Callable[[Row], SortKey]] = {
    "site": lambda r: (r.place,),
    "problems": lambda r: (0 if r.problem else 1, r.place),
}
_KEY_LENGTH: Mapping[Order, int] = {"site": 1, "problems": 2}


def select(rows: Sequence[Row], query: ListQuery) -> list[Row]:
    """The rows the query asks for, in its order."""
    keep = _STATE[query.state] if query.state else None
    found = [r for r in rows if matches(r.live, query) and (keep is None or keep(r))]
    if query.order != "site":  # the snapshot is in site order already
        found.sort(key=_ORDER[query.order])
    return found


def matches(live: DeviceLive, query: ListQuery) -> bool:
    return (query.kind is None or live.kind == query.kind) and (query.members is None or live.id in query.members)


def encode_cursor(order: Order, key: SortKey) -> str:
    return ".".join((order, *map(str, key)))


def decode_cursor(order: Order, cursor: str) -> SortKey:
    name, *parts = cursor.split(".")
    if name != order:
        raise CursorError(f"this cursor belongs to order={name!r}, not order={order!r}: start again without it")
    try:
        key = tuple(int(p) for p in parts)
    except ValueError:
        raise CursorError(f"malformed cursor {cursor!r}: use next_cursor from the previous page") from None
    if len(key) != _KEY_LENGTH[order]:
        raise CursorError(f"malformed cursor {cursor!r}: use next_cursor from the previous page")
    return key


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    total: int  # rows matching the query, on every page
    next_cursor: str | None


def page(selected: Sequence[Row], order: Order, cursor: str | None, limit: int) -> Page:
    """`limit` rows after the cursor's key (the first ones without a cursor)."""
    key_of = _ORDER[order]
    start = 0
    if cursor is not None:
        start = bisect.bisect_right(selected, decode_cursor(order, cursor), key=key_of)
    rows = list(selected[start:start + limit])
    more = start + limit < len(selected)
    return Page(rows, len(selected), encode_cursor(order, key_of(rows[-1])) if more and rows else None)


def query_page(devices: Sequence[DeviceLive], query: ListQuery, cursor: str | None, limit: int, judge: Judge,
               rows: Callable[[], Sequence[Row]]) -> Page:
    """The page a query asks for. In site order with no state filter only the page's own devices are judged
    (the default page of a changed list: 500 judgements, not 10,000); otherwise the whole snapshot (`rows()`)
    is filtered and ordered. Both give the same page (tests/hub/test_api_read.py)."""
    if query.state is not None or query.order != "site":
        return page(select(rows(), query), query.order, cursor, limit)
    places: Sequence[int] = (
        range(len(devices)) if query.kind is None and query.members is None
        else [place for place, live in enumerate(devices) if matches(live, query)]
    )
    start = 0 if cursor is None else bisect.bisect_right(places, decode_cursor("site", cursor)[0])
    chosen = places[start:start + limit]
    more = start + limit < len(places)
    return Page([judge(p, devices[p]) for p in chosen], len(places),
                encode_cursor("site", (chosen[-1],)) if more and chosen else None)


# --- projections ---------------------------------------------------------------------------------------

def full(row: Row) -> dict[str, Any]:
    live = row.live
    return {
        "id": live.id, "kind": live.kind.value, "name": live.name, "group": live.group,
        "position": {"lat": live.position.lat, "lon": live.position.lon}, "cabinet": live.cabinet,
        "online": row.online, "problem": row.problem, "last_seen_ms": live.last_seen_ms, "state": live.state,
        "telemetry": live.telemetry, "telemetry_ms": live.telemetry_ms,
    }


def compact(row: Row) -> dict[str, Any]:
    """For the map: where, what, and the colour of the dot; no telemetry (a third of the bytes)."""
    live = row.live
    return {
        "id": live.id, "kind": live.kind.value, "name": live.name,
        "lat": live.position.lat, "lon": live.position.lon, "online": row.online, "problem": row.problem,
        "state": {k: live.state[k] for k in MAP_STATE_KEYS if k in live.state}, "last_seen_ms": live.last_seen_ms,
    }


PROJECTIONS: Mapping[View, Callable[[Row], dict[str, Any]]] = {"full": full, "map": compact}


class Fragments:
    """Each device's JSON per view, re-encoded only when what it shows has changed."""

    def __init__(self) -> None:
        self._memo: dict[tuple[View, str], tuple[tuple[int, int | None, bool, bool], bytes]] = {}
        self._lock = threading.Lock()

    def body(self, view: View, rows: Sequence[Row]) -> bytes:
        project = PROJECTIONS[view]
        parts = []
        with self._lock:
            for row in rows:
                stamp = (row.live.version, row.live.last_seen_ms, row.online, row.problem)
                known = self._memo.get((view, row.live.id))
                if known is None or known[0] != stamp:
                    known = (stamp, _dumps(project(row)))
                    self._memo[(view, row.live.id)] = known
                parts.append(known[1])
        return b"[" + b",".join(parts) + b"]"


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
