"""The camera page in real Chromium at phone size, against a real hub process and simulated HTTP cameras
at every gate of the model site: a resident sees each gate's status in Vietnamese; a covered camera shows
as covered within its debounce; a camera with a full card is not shown as working."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from devices.contract import Kind
from devices.site import Site
from devices.site_loader import load_site
from hub.auth.principal import Role
from hub.settings import MODEL_SITE
from simulators.camera_http import HttpCamera
from simulators.camera_scene import CLOCK_REGION
from tests.support.hubproc import HubProcess
from tests.support.mosquitto import start_mosquitto
from tests.web.conftest import ACCOUNTS, PASSWORD, _add_accounts, browser, new_phone, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]
__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with tests/web
PROBE_S = 5  # the shortest interval a technician may set: debounce in seconds is 3 x this


class CameraHub:
    def __init__(self, hub: HubProcess, site: Site, cameras: dict[str, HttpCamera]) -> None:
        self.hub, self.site, self.cameras = hub, site, cameras

    def call(self, method: str, path: str, body: object = None, token: str | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.hub.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {token}"} if token else {})})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def camera_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CameraHub]:
    root = tmp_path_factory.mktemp("camerahub")
    broker = start_mosquitto(root / "mosquitto")
    data = root / "data"
    data.mkdir()
    _add_accounts(data)
    hub = HubProcess(data, MODEL_SITE, broker.url, env={"HAMLET_CAMERAS_ALLOWED_NETWORKS": "127.0.0.1/32"})
    site = load_site(MODEL_SITE)
    cameras = {d.id: HttpCamera(d.id, width=640, height=360, seed=i).start()
               for i, d in enumerate(x for x in site.devices if x.kind == Kind.CAMERA)}
    try:
        hub.start()
        web = CameraHub(hub, site, cameras)
        login = web.call("POST", "/api/session", {"phone": ACCOUNTS[Role.TECHNICIAN][0], "password": PASSWORD,
                                                  "token": True})
        assert isinstance(login, dict)
        for device, cam in cameras.items():
            web.call("PUT", f"/api/cameras/{device}/address",
                     {"host": "127.0.0.1", "port": cam.port, "interval_s": PROBE_S,
                      "clock_region": list(CLOCK_REGION)}, login["token"])
        yield web
    finally:
        hub.stop()
        for cam in cameras.values():
            cam.stop()
        broker.stop()


@pytest.fixture
def resident(browser: Browser, camera_hub: CameraHub) -> Iterator[Page]:
    context = new_phone(browser)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(camera_hub.hub.url + "/")
    page.fill("#phone", ACCOUNTS[Role.RESIDENT][0])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-tile]")
    try:
        yield page
    finally:
        context.close()


def open_cameras(page: Page, web: CameraHub) -> None:
    page.goto(f"{web.hub.url}/#/cameras")
    page.wait_for_selector("#view[data-ready='cameras']")


def test_a_resident_sees_every_gate_and_each_fault_in_vietnamese(resident: Page, camera_hub: CameraHub) -> None:
    open_cameras(resident, camera_hub)
    for gate in camera_hub.site.gates:  # every gate has its line, and all say "hoạt động tốt" once probed
        expect(resident.locator(f"[data-gate-line='{gate.id}']")).to_have_text(f"{gate.name}: hoạt động tốt",
                                                                                timeout=30_000)
    assert resident.locator("img.thumb").count() == 0  # residents see no pictures by default
    covered, full = "cam-cong-sau-1", "cam-cong-chinh-1"
    camera_hub.cameras[covered].set_fault("covered")
    camera_hub.cameras[full].set_fault("storage_full")
    # the page follows by itself (live event or its own refresh): debounce 3 probes of 5 s, plus a refresh
    expect(resident.locator(f"[data-camera='{covered}'] .badge")).to_contain_text("Hình bị che khuất từ",
                                                                                 timeout=45_000)
    expect(resident.locator("[data-gate-line='cong-sau']")).to_contain_text("Cổng sau: hình bị che khuất từ")
    badge = resident.locator(f"[data-camera='{full}'] .badge")
    expect(badge).to_contain_text("Không ghi hình — bộ nhớ đầy")  # a badge starts with a capital
    expect(badge).to_have_attribute("data-status", "degraded")
    assert "hoạt động tốt" not in (badge.text_content() or "").lower()
    expect(resident.locator("[data-gate-line='cong-chinh']")).not_to_contain_text("hoạt động tốt")
    expect(resident.locator(f"[data-camera='{full}'] .muted").first).to_contain_text("trong 7 ngày qua")
    screenshot(resident, "cameras-resident")
    camera_hub.cameras[covered].set_fault(None)
    camera_hub.cameras[full].set_fault(None)
