"""The read side of the API over a hub on the in-memory bus."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from devices.contract import topic
from hub.auth.principal import Role
from hub.bus.memory import MemoryBroker
from hub.runtime import Hub
from hub.timeutil import now_ms
from tests.auth.clients import bearer
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
