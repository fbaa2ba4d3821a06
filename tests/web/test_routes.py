"""The frontend's routes on a memory hub: the web app's files, /api/home, /api/dead-letters, and who may
call them."""

from __future__ import annotations

import gzip
import json

import pytest
from fastapi.testclient import TestClient

from devices.contract import topic
from hub.auth.principal import Role
from hub.bus.memory import MemoryBroker
from hub.lights.faults.detect import FaultKind
from hub.lights.faults.store import FaultTable
from hub.runtime import Hub
from hub.timeutil import now_ms
from hub.web.router import STATIC
from tests.auth.clients import bearer
from tests.hub.sites import small_site

SITE = small_site()




def feed(broker: MemoryBroker, hub: Hub, *messages: tuple[str, str, str, bytes]) -> None:
    device = broker.client()
    device.start()
    for kind, dev, channel, payload in messages:
        device.publish(topic(SITE.id, kind, dev, channel), payload, retain=channel == "availability")
    hub.ingest.process_pending()


def state(on: bool) -> bytes:
    return json.dumps({"ts": now_ms(), "seq": 1, "state": "ON" if on else "OFF", "brightness": 60}).encode()


def test_the_app_is_served_gzipped_with_etags_and_a_strict_policy(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-encoding"] == "gzip" and "<main id=\"view\"" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # No file is loaded from elsewhere: the hamlet may have no internet.
    for path in STATIC.rglob("*"):
        if path.is_file():
            assert "https://" not in path.read_text(encoding="utf-8"), path
    js = client.get("/app/js/main.js", headers={"Accept-Encoding": "identity"})
    assert js.headers["content-type"] == "text/javascript; charset=utf-8" and "content-encoding" not in js.headers
    assert len(gzip.compress(js.content)) < len(js.content)
    again = client.get("/app/js/main.js", headers={"If-None-Match": js.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("path", ["/app/nothing.js", "/app/../router.py", "/app/%2e%2e/router.py", "/app/"])
def test_only_files_of_the_app_are_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_home_counts_what_matters_now(client: TestClient, broker: MemoryBroker, hub: Hub) -> None:
    feed(broker, hub,
         ("light", "den-1", "availability", b"online"), ("light", "den-1", "state", state(True)),
         ("light", "den-2", "availability", b"online"), ("light", "den-2", "state", state(False)),
         ("light", "den-3", "state", state(True)),  # said ON but never said online: not counted as on
         ("camera", "cam-1", "availability", b"online"))  # online, but never probed: not counted as working
    r = client.get("/api/home", headers=bearer(hub, Role.RESIDENT))
    assert r.status_code == 200
    assert r.json() == {
        "site_name": SITE.name, "lights_on": 1, "lights_total": 4, "devices_offline": 3, "devices_total": 6,
        "cameras_ok": 0, "cameras_total": 1, "faults": 0, "next_bulletin": None, "broker_ok": True,
        "store_ok": True,
    }
    assert client.get("/api/home").status_code == 401


def test_dead_letters_name_the_field_for_technicians_only(client: TestClient, broker: MemoryBroker, hub: Hub) -> None:
    bad = json.dumps({"ts": now_ms(), "seq": 1, "state": "ON", "brightness": 150}).encode()
    feed(broker, hub, ("light", "den-1", "state", bad), ("light", "den-9", "state", b"\xff\xfe not json"))
    r = client.get("/api/dead-letters", headers=bearer(hub, Role.TECHNICIAN))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2 and body["counts"] == {"invalid": 1, "unknown_device": 1}
    newest, oldest = body["letters"]
    assert newest["reason"] == "unknown_device" and newest["payload_preview"].startswith("\ufffd")
    assert "brightness" in oldest["detail"] and oldest["topic"].endswith("/den-1/state")
    assert '"brightness": 150' in oldest["payload_preview"] and oldest["payload_bytes"] == len(bad)
    only = client.get("/api/dead-letters", params={"reason": "invalid"}, headers=bearer(hub, Role.TECHNICIAN))
    assert [d["reason"] for d in only.json()["letters"]] == ["invalid"]
    for role in (Role.RESIDENT, Role.HEAD):
        assert client.get("/api/dead-letters", headers=bearer(hub, role)).status_code == 403
    assert client.get("/api/dead-letters").status_code == 401


def test_events_need_a_login(client: TestClient) -> None:
    assert client.get("/api/events").status_code == 401


def test_home_counts_devices_in_fault(client: TestClient, hub: Hub) -> None:
    faults = FaultTable(hub.state)
    faults.open(FaultKind.LAMP_FAILURE, "den-1", now_ms(), {})
    faults.open(FaultKind.POWER_LOSS, "tu-1", now_ms(), {"lights": ["den-1", "den-2", "den-3"]})
    assert client.get("/api/home", headers=bearer(hub, Role.HEAD)).json()["faults"] == 3
