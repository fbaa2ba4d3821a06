"""GET /api/cameras for every resident, in Vietnamese, per gate; registration and maintenance for
technicians only; forbidden addresses refused with 422 naming why; pictures only for whom the site allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.auth.principal import Role
from tests.auth.clients import bearer
from tests.cameras.apphub import HTTP_PORT, CameraApp, address, camera_app
from tests.support.waiting import eventually


@pytest.fixture
def app(tmp_path: Path) -> Any:
    with camera_app(tmp_path) as app:
        yield app


def cameras(app: CameraApp, role: Role = Role.RESIDENT) -> dict[str, dict[str, Any]]:
    response = app.client.get("/api/cameras", headers=bearer(app.hub, role))
    assert response.status_code == 200, response.text
    return {c["id"]: c for c in response.json()}


def register_all(app: CameraApp) -> None:
    tech = bearer(app.hub, Role.TECHNICIAN)
    for device, cam in app.cameras.items():
        response = app.client.put(f"/api/cameras/{device}/address", json=address(cam), headers=tech)
        assert response.status_code == 200, response.text
    eventually(lambda: all(c["status"] == "ok" for c in cameras(app).values()), 20, "every camera ok")
    eventually(lambda: all(any(v.baseline() for v in app.service.targets[d].watch.learners.values())
                           for d in app.cameras), 20, "every camera's view learnt")


def test_unregistered_cameras_say_so_and_registered_ones_work(app: CameraApp) -> None:
    first = cameras(app)
    assert first["cam-1"]["vi"] == "chưa cấu hình địa chỉ" and first["cam-1"]["gate_name"] == "Cổng sau"
    register_all(app)
    seen = cameras(app)
    assert seen["cam-2"]["vi"] == "hoạt động tốt" and seen["cam-2"]["gate_name"] == "Cổng chính"
    assert seen["cam-1"]["uptime_7d"] == pytest.approx(1.0)


def test_a_covered_camera_and_a_full_card_are_told_in_vietnamese(app: CameraApp) -> None:
    register_all(app)
    app.cameras["cam-1"].set_fault("covered")
    app.cameras["cam-2"].set_fault("storage_full")
    eventually(lambda: cameras(app)["cam-1"]["vi"] == "hình bị che khuất", 20, "cam-1 covered")
    full = cameras(app)["cam-2"]
    assert full["status"] == "degraded" and full["vi"] == "không ghi hình — bộ nhớ đầy"
    home = app.client.get("/api/home", headers=bearer(app.hub, Role.RESIDENT)).json()
    assert (home["cameras_ok"], home["cameras_total"]) == (0, 2)  # the home screen counts neither as working
    detail = app.client.get("/api/cameras/cam-1", headers=bearer(app.hub, Role.HEAD)).json()
    fault = next(f for f in detail["faults"] if f["kind"] == "covered")
    assert fault["picture"] and fault["closed_ms"] is None
    picture = app.client.get(f"/api/cameras/cam-1/faults/{fault['id']}/picture", headers=bearer(app.hub, Role.HEAD))
    assert picture.status_code == 200 and picture.content[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(("body", "why"), [
    ({"host": "169.254.169.254", "port": 80}, "cloud metadata"),
    ({"host": "10.1.2.3", "port": 80}, "not on an allowed camera network"),
    ({"host": "127.0.0.1", "port": HTTP_PORT}, "the hub itself"),
    ({"host": "127.0.0.1", "port": 1883}, "the MQTT broker"),
    ({"host": "http://127.0.0.1:8600/snapshot.jpg"}, "not a URL"),
    ({"host": "127.0.0.1", "snapshot_path": "/../../etc"}, "plain path"),
    ({"host": "127.0.0.1", "url": "http://x"}, "Extra inputs are not permitted"),
])
def test_forbidden_addresses_are_refused_with_422_naming_why(app: CameraApp, body: dict[str, Any], why: str) -> None:
    response = app.client.put("/api/cameras/cam-1/address", json=body, headers=bearer(app.hub, Role.TECHNICIAN))
    assert response.status_code == 422
    assert why in response.text


def test_only_technicians_register_and_maintain(app: CameraApp) -> None:
    body = address(app.cameras["cam-1"])
    for role in (Role.RESIDENT, Role.HEAD):
        headers = bearer(app.hub, role)
        assert app.client.put("/api/cameras/cam-1/address", json=body, headers=headers).status_code == 403
        assert app.client.put("/api/cameras/cam-1/maintenance", json={"until_ms": None},
                              headers=headers).status_code == 403
    assert app.client.get("/api/cameras").status_code == 401
    assert app.client.get("/api/cameras/nope", headers=bearer(app.hub, Role.RESIDENT)).status_code == 404


def test_maintenance_until_a_time_raises_no_faults(app: CameraApp) -> None:
    register_all(app)
    until = app.service.clock() + 3_600_000
    response = app.client.put("/api/cameras/cam-1/maintenance", json={"until_ms": until, "note": "thay ống kính"},
                              headers=bearer(app.hub, Role.TECHNICIAN))
    assert response.status_code == 200, response.text
    app.cameras["cam-1"].set_fault("covered")
    eventually(lambda: cameras(app)["cam-1"]["status"] == "maintenance", 10, "maintenance shown")
    seen = cameras(app)["cam-1"]
    assert seen["vi"] == "đang bảo trì" and seen["maintenance_until_ms"] == until
    assert not any(d == "cam-1" for d, _ in app.service.store.open_faults())


def test_pictures_for_operators_and_not_residents_by_default(app: CameraApp) -> None:
    register_all(app)
    resident = app.client.get("/api/cameras/cam-1/thumbnail", headers=bearer(app.hub, Role.RESIDENT))
    assert resident.status_code == 403
    assert cameras(app)["cam-1"]["thumbnail"] is False
    head = app.client.get("/api/cameras/cam-1/thumbnail", headers=bearer(app.hub, Role.HEAD))
    assert head.status_code == 200 and head.headers["content-type"] == "image/jpeg"


def test_residents_see_pictures_when_the_site_allows(tmp_path: Path) -> None:
    with camera_app(tmp_path, 1, residents_see_thumbnails=True) as app:
        register_all(app)
        response = app.client.get("/api/cameras/cam-1/thumbnail", headers=bearer(app.hub, Role.RESIDENT))
        assert response.status_code == 200
