"""The read side of the API over a hub on the in-memory bus."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devices.contract import Kind, topic
from hub.api.app import create_app
from hub.api.device_list import (
    CursorError,
    Judge,
    ListQuery,
    Page,
    decode_cursor,
    encode_cursor,
    page,
    query_page,
    select,
    snapshot,
)
from hub.api.devices import DEFAULT_LIMIT, MAX_LIMIT, SNAPSHOT_MS
from hub.auth.principal import Role
from hub.bus.memory import MemoryBroker
from hub.lights.faults.detect import FaultKind
from hub.lights.faults.store import FaultTable
from hub.registry import Registry
from hub.runtime import Hub
from hub.timeutil import now_ms
from tests.auth.clients import bearer
from tests.hub.apphub import memory_hub
from tests.hub.sites import small_site

SITE = small_site()


@pytest.fixture
def client(client: TestClient, hub: Hub) -> TestClient:
    # Reads are open to every role: a resident's token reaches all of them (metrics: technician).
    client.headers.update(bearer(hub, Role.RESIDENT))
    return client


def feed(broker: MemoryBroker, hub: Hub, device: str, samples: int) -> int:
    dev = broker.client()
    dev.start()
    start = now_ms() - samples * 60_000
    dev.publish(topic(SITE.id, "light", device, "availability"), b"online", retain=True)
    for i in range(samples):
        body = {"ts": start + i * 60_000, "seq": i, "power_w": float(i), "voltage_v": 220, "energy_wh": i,
                "level": 100}
        dev.publish(topic(SITE.id, "light", device, "telemetry"), json.dumps(body).encode())
    hub.ingest.process_pending()
    while hub.writer.drain_once():
        pass
    return start


def test_site_and_devices(client: TestClient, broker: MemoryBroker, hub: Hub) -> None:
    assert client.get("/api/site").json()["id"] == SITE.id
    feed(broker, hub, "den-1", 3)
    devices = client.get("/api/devices").json()
    assert {d["id"] for d in devices} == {d.id for d in SITE.devices}
    one = client.get("/api/devices/den-1").json()
    assert one["online"] is True and one["telemetry"]["power_w"] == 2.0
    assert client.get("/api/devices", params={"kind": "speaker"}).json()[0]["id"] == "loa-1"
    # a road takes in its alleys' lights
    road = {d["id"] for d in client.get("/api/devices", params={"group": "duong-1"}).json()}
    assert road == {"den-1", "den-2", "den-3", "den-4"}


def test_unknowns_are_404_and_bad_queries_422_naming_the_field(client: TestClient) -> None:
    assert client.get("/api/devices/den-99").status_code == 404
    assert client.get("/api/devices", params={"group": "ngo-99"}).status_code == 404
    r = client.get("/api/devices/den-1/telemetry", params={"field": "colour"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "field"]
    r = client.get("/api/devices/den-1/telemetry", params={"field": "power_w", "every": "soon"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "every"]
    r = client.get("/api/devices/den-1/telemetry", params={"field": "power_w", "since": "2026-01-01T00:00:00"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "since"]


def test_telemetry_is_bucketed_from_the_store(client: TestClient, broker: MemoryBroker, hub: Hub) -> None:
    start = feed(broker, hub, "den-2", 10)
    r = client.get("/api/devices/den-2/telemetry", params={"field": "power_w", "every": "5m"})
    assert r.status_code == 200
    values = [p["value"] for p in r.json()["points"]]
    assert sum(1 for v in values if v is not None) >= 2
    assert r.json()["every_ms"] == 300_000
    assert r.json()["until_ms"] > start


def test_healthz_and_metrics(client: TestClient, hub: Hub) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["broker"]["ok"] is True and r.json()["store"]["ok"] is True
    text = client.get("/metrics", headers=bearer(hub, Role.TECHNICIAN)).text
    assert "hamlet_outbox_depth" in text and "hamlet_messages_in_total" in text


def test_json_lists_are_compressed_for_phones(client: TestClient) -> None:
    r = client.get("/api/site", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers.get("content-encoding") == "gzip"
    assert r.json()["id"] == SITE.id


# --- the device list of a commune: pages, filters, the map's projection, ETags ---------------------------

@pytest.fixture
def commune(tmp_path: Path, broker: MemoryBroker) -> Iterator[tuple[TestClient, Hub]]:
    """30 lights, a speaker and a camera; den-1..den-10 online."""
    hub = memory_hub(tmp_path / "commune", small_site(30, "commune"), broker)
    with TestClient(create_app(lambda: hub)) as client:
        client.headers.update(bearer(hub, Role.RESIDENT))
        say(broker, hub, *[(f"den-{i}", "availability", b"online") for i in range(1, 11)])
        yield client, hub


def say(broker: MemoryBroker, hub: Hub, *messages: tuple[str, str, bytes]) -> None:
    dev = broker.client()
    dev.start()
    for device, channel, payload in messages:
        live = hub.registry.get(device)
        assert live is not None
        dev.publish(topic(hub.site.id, live.kind, device, channel), payload, retain=channel == "availability")
    hub.ingest.process_pending()


def light_state(on: bool) -> bytes:
    return json.dumps({"ts": now_ms(), "seq": 1, "state": "ON" if on else "OFF", "brightness": 70}).encode()


def pages(client: TestClient, url: str) -> tuple[list[list[dict[str, Any]]], list[str]]:
    """Every page, following Link rel=next; and the X-Total-Count of each."""
    found, totals = [], []
    next_url: str | None = url
    while next_url:
        r = client.get(next_url)
        assert r.status_code == 200, r.text
        found.append(r.json())
        totals.append(r.headers["X-Total-Count"])
        link = re.fullmatch(r'<([^>]+)>; rel="next"', r.headers.get("Link", ""))
        next_url = link.group(1) if link else None
    return found, totals


def test_the_list_pages_with_a_cursor_in_site_order(commune: tuple[TestClient, Hub]) -> None:
    client, hub = commune
    found, totals = pages(client, "/api/devices?limit=7")
    assert [len(p) for p in found] == [7, 7, 7, 7, 4]
    assert [d["id"] for p in found for d in p] == [d.id for d in hub.site.devices]  # each once, in order
    assert set(totals) == {"32"}


def test_default_and_maximum_page_sizes(commune: tuple[TestClient, Hub]) -> None:
    client, _ = commune
    assert DEFAULT_LIMIT == {"full": 500, "map": 5000} and MAX_LIMIT == {"full": 2000, "map": 20_000}
    r = client.get("/api/devices", params={"limit": 2001})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "limit"]
    assert client.get("/api/devices", params={"limit": 2001, "view": "map"}).status_code == 200
    assert client.get("/api/devices", params={"limit": 20_001, "view": "map"}).status_code == 422
    assert client.get("/api/devices", params={"limit": 0}).status_code == 422


def test_a_small_default_page_and_its_link(commune: tuple[TestClient, Hub], monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = commune
    monkeypatch.setitem(DEFAULT_LIMIT, "full", 10)
    r = client.get("/api/devices", params={"kind": "light"})
    assert len(r.json()) == 10 and r.headers["X-Total-Count"] == "30"
    assert r.headers["Link"].startswith("</api/devices?") and "kind=light" in r.headers["Link"]


def test_filters_by_state_kind_and_group(commune: tuple[TestClient, Hub]) -> None:
    client, _ = commune

    def ids(**q: str) -> list[str]:
        return [d["id"] for d in client.get("/api/devices", params=q).json()]

    assert ids(state="online") == [f"den-{i}" for i in range(1, 11)]
    assert len(ids(state="offline")) == 22 and "loa-1" in ids(state="offline")
    assert ids(state="online", group="ngo-1") == [f"den-{i}" for i in range(1, 11, 2)]
    assert ids(kind="camera") == ["cam-1"]
    assert ids(kind="camera", state="online") == []


def test_problems_first_puts_faults_and_offline_devices_ahead(commune: tuple[TestClient, Hub]) -> None:
    client, hub = commune
    FaultTable(hub.state).open(FaultKind.LAMP_FAILURE, "den-4", now_ms(), {})
    listed = client.get("/api/devices", params={"order": "problems", "limit": 2000}).json()
    problems = [d["id"] for d in listed if d["problem"]]
    assert [d["id"] for d in listed[:len(problems)]] == problems  # problems first, then the rest
    assert "den-4" in problems and "den-3" not in problems  # an online light in fault; an online one without
    assert problems.index("den-4") < problems.index("den-11")  # site order within each part
    assert [d["id"] for d in client.get("/api/devices", params={"state": "problem", "kind": "light"}).json()][:2] == [
        "den-4", "den-11"]
    # pages in that order, each device once
    found, _ = pages(client, "/api/devices?order=problems&limit=5")
    assert [d["id"] for p in found for d in p] == [d["id"] for d in listed]


def test_a_cursor_from_elsewhere_is_a_422_naming_it(commune: tuple[TestClient, Hub]) -> None:
    client, _ = commune
    first = client.get("/api/devices", params={"limit": 3})
    cursor = re.search(r"cursor=([^&>]+)", first.headers["Link"])
    assert cursor is not None
    for params in ({"cursor": "site.x"}, {"cursor": "nonsense"}, {"cursor": "site.1.2"},
                   {"cursor": cursor.group(1), "order": "problems"}):
        r = client.get("/api/devices", params=params)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"], params


def test_the_map_view_is_compact(commune: tuple[TestClient, Hub], broker: MemoryBroker) -> None:
    client, hub = commune
    say(broker, hub, ("den-1", "state", light_state(True)))
    full = client.get("/api/devices", params={"limit": 1}).json()[0]
    compact = client.get("/api/devices", params={"view": "map", "limit": 1}).json()[0]
    assert set(compact) == {"id", "kind", "name", "lat", "lon", "online", "problem", "state", "last_seen_ms"}
    assert compact["state"] == {"state": "ON", "brightness": 70} and compact["lat"] == full["position"]["lat"]
    whole = client.get("/api/devices", params={"limit": 2000}, headers={"Accept-Encoding": "identity"})
    small = client.get("/api/devices", params={"view": "map"}, headers={"Accept-Encoding": "identity"})
    assert len(small.content) < len(whole.content) * 0.8


def test_an_unchanged_list_costs_a_304(commune: tuple[TestClient, Hub], broker: MemoryBroker) -> None:
    client, hub = commune
    first = client.get("/api/devices")
    tag = first.headers["ETag"]
    again = client.get("/api/devices", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == tag
    assert client.get("/api/devices", params={"view": "map"}, headers={"If-None-Match": tag}).status_code == 200
    say(broker, hub, ("den-2", "state", light_state(True)))  # a change: a new body and tag
    changed = client.get("/api/devices", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert next(d for d in changed.json() if d["id"] == "den-2")["state"]["state"] == "ON"
    FaultTable(hub.state).open(FaultKind.LAMP_FAILURE, "den-3", now_ms(), {})  # a fault changes `problem`
    faulted = client.get("/api/devices", headers={"If-None-Match": changed.headers["ETag"]})
    assert faulted.status_code == 200 and next(d for d in faulted.json() if d["id"] == "den-3")["problem"]


def test_a_device_going_silent_turns_offline_without_a_message(
    commune: tuple[TestClient, Hub], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, hub = commune
    assert client.get("/api/devices", params={"state": "online"}).headers["X-Total-Count"] == "10"
    later = now_ms() + hub.registry.stale_after_ms + 2 * SNAPSHOT_MS
    monkeypatch.setattr("hub.api.devices.now_ms", lambda: later)
    assert client.get("/api/devices", params={"state": "online"}).headers["X-Total-Count"] == "0"


def test_the_list_is_gzipped_once_at_a_moderate_level(commune: tuple[TestClient, Hub]) -> None:
    client, _ = commune
    plain = client.get("/api/devices", headers={"Accept-Encoding": "identity"})
    zipped = client.get("/api/devices", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers and zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decoded it
    assert zipped.headers["ETag"] == plain.headers["ETag"] and zipped.headers["Vary"] == "Accept-Encoding"


def test_the_registry_version_moves_on_changes_only(commune: tuple[TestClient, Hub], broker: MemoryBroker) -> None:
    _, hub = commune
    before = hub.registry.version
    say(broker, hub, ("den-1", "availability", b"online"))  # already online: no change
    assert hub.registry.version == before
    say(broker, hub, ("den-1", "state", light_state(True)))
    live = hub.registry.get("den-1")
    assert hub.registry.version == before + 1 and live is not None and live.version == hub.registry.version


def test_keyset_pages_end_exactly_and_survive_a_removed_row() -> None:
    registry = Registry(small_site(8))  # 10 devices, none online
    rows = snapshot(registry.all(), now_ms(), 1000, frozenset())
    first = page(rows, "site", None, 5)
    assert [r.place for r in first.rows] == [0, 1, 2, 3, 4] and first.next_cursor == "site.4"
    last = page(rows, "site", first.next_cursor, 5)
    assert [r.place for r in last.rows] == [5, 6, 7, 8, 9] and last.next_cursor is None  # no empty page after
    fewer = [r for r in rows if r.place != 5]  # a row in front of the cursor left: nothing skipped, nothing twice
    assert [r.place for r in page(fewer, "site", "site.4", 5).rows] == [6, 7, 8, 9]
    assert page(rows, "site", "site.99", 5) == Page([], 10, None)
    with pytest.raises(CursorError, match="order='site'"):
        decode_cursor("problems", "site.4")
    assert decode_cursor("problems", encode_cursor("problems", (0, 7))) == (0, 7)


@pytest.mark.parametrize("query", [
    ListQuery(), ListQuery(kind=Kind.LIGHT), ListQuery(members=frozenset({"den-2", "den-5", "loa-1", "den-9"})),
    ListQuery(kind=Kind.CAMERA, members=frozenset({"den-1"})),
])
@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_the_site_order_shortcut_gives_the_same_pages(query: ListQuery, limit: int) -> None:
    """Site order without a state filter judges only the page's devices: the same pages as the whole snapshot."""
    registry = Registry(small_site(12))
    devices = registry.all()
    for live in devices[::3]:
        live.online, live.last_seen_ms = True, 1_000
    judge = Judge(1_000, 500, frozenset({"den-4"}))
    rows = snapshot(devices, 1_000, 500, frozenset({"den-4"}))
    cursor: str | None = None
    for _ in range(20):
        short = query_page(devices, query, cursor, limit, judge, lambda: pytest.fail("needs no snapshot"))
        assert short == page(select(rows, query), "site", cursor, limit)
        if short.next_cursor is None:
            break
        cursor = short.next_cursor
