"""A real hub for the browser tests: mosquitto, `python -m hub serve` on the model site with a tmp data dir,
accounts made through the auth service, the devices' retained state on the broker; and Debian's Chromium
driven by Playwright (never a downloaded browser: a missing /usr/bin/chromium fails, it never skips)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from devices.contract import Kind
from devices.site import Device, Site
from devices.site_loader import load_site
from hub.auth.phone import normalise_phone
from hub.auth.principal import Role
from hub.auth.service import Auth
from hub.settings import MODEL_SITE
from hub.statedb import StateDB
from tests.support.hubproc import HubProcess
from tests.support.mosquitto import Mosquitto, start_mosquitto
from tests.web.mqtt import Devices

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE_VIEWPORT: ViewportSize = {"width": 360, "height": 640}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORD = "mat-khau-thu-9"
# (phone as typed on the login page, display name) per role: names are proper names, kept in any language.
ACCOUNTS = {
    Role.HEAD: ("0912000001", "Nguyễn Văn Hùng"),
    Role.TECHNICIAN: ("0912000002", "Trần Minh Đức"),
    Role.RESIDENT: ("0912000003", "Lê Thị Hoa"),
}


@dataclass
class WebHub:
    url: str
    site: Site
    broker: Mosquitto
    devices: Devices
    hub: HubProcess

    def first(self, kind: Kind) -> Device:
        return next(d for d in self.site.devices if d.kind == kind)

    def health(self) -> dict[str, object]:
        with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:
            body: dict[str, object] = json.loads(r.read())
            return body


def _add_accounts(data_dir: Path) -> None:
    db = StateDB(data_dir / "hub.sqlite3")
    try:
        auth = Auth(db)
        for role, (phone, name) in ACCOUNTS.items():
            auth.add_user(normalise_phone(phone), role, PASSWORD, name)
    finally:
        db.close()


def _wait_online(web: WebHub, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = web.health()
        if health["devices_online"] == health["devices_total"]:
            return
        time.sleep(0.1)
    raise AssertionError(f"devices did not come online: {web.health()}")


@contextmanager
def running_hub(root: Path) -> Iterator[WebHub]:
    """mosquitto + `python -m hub serve` + accounts + every device of the model site online."""
    broker = start_mosquitto(root / "mosquitto")
    data = root / "data"
    data.mkdir()
    _add_accounts(data)
    # Loopback as a camera network, as a site allows its own: tests register simulated cameras there.
    hub = HubProcess(data, MODEL_SITE, broker.url, env={"HAMLET_CAMERAS_ALLOWED_NETWORKS": "127.0.0.1/32"})
    site = load_site(MODEL_SITE)
    web: WebHub | None = None
    try:
        hub.start()
        web = WebHub(hub.url, site, broker, Devices(site, broker.host, broker.port), hub)
        web.devices.bring_online()
        lights = [d for d in site.devices if d.kind == Kind.LIGHT]
        for light in lights[:6]:
            web.devices.light_telemetry(light)
        web.devices.refused_message(lights[-1])
        _wait_online(web)
        yield web
    finally:
        if web is not None:
            web.devices.close()
        hub.stop()
        (web.broker if web is not None else broker).stop()  # a test may have restarted the broker


# Module scope: torn down (Chromium and Playwright's driver with it) before other modules' tests run.
@pytest.fixture(scope="module")
def web_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebHub]:
    with running_hub(tmp_path_factory.mktemp("webhub")) as web:
        yield web


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (scripts/install-system-deps.sh installs chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_phone(browser: Browser) -> BrowserContext:
    """A phone: 360×640, touch, its own cookies and storage. The page must show Hanoi time whatever the
    phone's own zone, so the phone is set elsewhere on purpose."""
    return browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=1,
                               locale="vi-VN", timezone_id="Europe/Paris")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = new_phone(browser)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()


def login(page: Page, web: WebHub, role: Role) -> None:
    page.goto(web.url + "/")
    page.fill("#phone", ACCOUNTS[role][0])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-tile]")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
