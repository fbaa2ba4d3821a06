"""The web app in real Chromium at phone size, against a real hub on a real broker (see conftest.py)."""

from __future__ import annotations

import json
import math
import re
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page

from devices.contract import Kind
from devices.site import Device, Site
from hub.api.access import DeclaredRoute, declared_routes
from hub.api.app import create_app
from hub.auth.principal import Role
from hub.runtime import Hub
from simulators.camera_http import HttpCamera
from tests.support.waiting import eventually
from tests.web.conftest import ACCOUNTS, PASSWORD, WebHub, login, new_phone, screenshot
from tests.web.firstscreen import first_screen
from tests.web.mqtt import watching
from tests.web.texts import language_leftovers, proper_names, visible_texts

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Everything a resident may reach, and the pages of other roles they might type into the address bar.
RESIDENT_PAGES = ["home", "cameras", "broadcasts", "map", "lights"]
NEWCOMER = "Phạm Thị Lan"
FIRST_SCREEN_BUDGET = 150_000  # bytes on the wire, for a phone on a weak 4G signal
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
OTHER_PAGES = ["devices", "residents", "audit"]


def control_routes() -> list[DeclaredRoute]:
    """Every state-changing route a resident is not admitted to, read off the app's own route table, so a
    control added later (light commands, broadcasts) is covered without touching this test."""

    def no_hub() -> Hub:
        raise AssertionError("the route table needs no hub")

    found = []
    for route in declared_routes(create_app(no_hub)):
        if not route.methods & WRITE_METHODS or any(rule.public for rule in route.rules):
            continue
        admitted = set.intersection(*(set(rule.roles) for rule in route.rules))
        if Role.RESIDENT not in admitted:
            found.append(route)
    return found


def goto(page: Page, web: WebHub, name: str) -> None:
    url = f"{web.url}/#/{name}"
    if page.url == url:
        page.reload()  # the same URL again is no navigation at all
    else:
        page.goto(url)
    page.wait_for_selector(f"#view[data-ready='{name}']")


def lonely_light(site: Site) -> Device:
    """The light furthest from any other device, so a tap on it picks it alone."""
    def gap(device: Device) -> float:
        return min(math.dist((device.position.lat, device.position.lon), (o.position.lat, o.position.lon))
                   for o in site.devices if o is not device)
    return max((d for d in site.devices if d.kind == Kind.LIGHT), key=gap)


def assert_readable(page: Page, where: str) -> None:
    """Older eyes and thick thumbs: 18 px text at least, and every button and navigation link 48 px high."""
    base = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert base >= 18, f"{where}: body text is {base}px"
    small = page.evaluate("""() => [...document.querySelectorAll('button, nav a, input')]
        .filter((el) => el.checkVisibility())
        .map((el) => [el.textContent.trim() || el.id, el.getBoundingClientRect().height])
        .filter(([, height]) => height < 48)""")
    assert small == [], f"{where}: touch targets under 48 px: {small}"


@contextmanager
def simulated_camera(web: WebHub, device: str) -> Iterator[HttpCamera]:
    """A simulated HTTP camera registered for `device` as a technician would, probed once and found ok (an
    hour's interval: no probe changes what the page shows while a test reads it)."""
    camera = HttpCamera(device, width=320, height=180).start()
    try:
        body = json.dumps({"phone": ACCOUNTS[Role.TECHNICIAN][0], "password": PASSWORD, "token": True}).encode()
        token = json.loads(_call(web, "POST", "/api/session", body))["token"]
        address = json.dumps({"host": "127.0.0.1", "port": camera.port, "interval_s": 3600}).encode()
        _call(web, "PUT", f"/api/cameras/{device}/address", address, token)
        eventually(lambda: json.loads(_call(web, "GET", f"/api/cameras/{device}", None, token))["status"] == "ok",
                   20, f"{device} probed and ok")
        yield camera
    finally:
        camera.stop()


def _call(web: WebHub, method: str, path: str, body: bytes | None, token: str | None = None) -> bytes:
    request = urllib.request.Request(web.url + path, data=body, method=method,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        data: bytes = response.read()
        return data


def assert_no_control(page: Page, where: str) -> None:
    assert page.locator("[data-control]").count() == 0, f"a control on {where}"
    assert page.locator("input, select, textarea").count() == 0, f"a form field on {where}"
    # Every button is a view control (navigation, language, logout, a map dot): marked data-ui.
    bare = page.locator("button:not([data-ui])").all_text_contents()
    assert bare == [], f"unmarked buttons on {where}: {bare}"


def test_resident_sees_cameras_and_map_and_no_control(web_hub: WebHub, phone: Page) -> None:
    login(phone, web_hub, Role.RESIDENT)
    screenshot(phone, "resident-home")
    # Residents' navigation leads with the cameras.
    assert phone.locator("#nav a").evaluate_all("links => links.map(a => a.dataset.page)") == RESIDENT_PAGES
    assert_no_control(phone, "home")
    assert_readable(phone, "home")

    cameras = [d for d in web_hub.site.devices if d.kind == Kind.CAMERA]
    working, partner = cameras[0], next(d for d in cameras[1:] if d.group == cameras[0].group)
    with simulated_camera(web_hub, working.id):
        goto(phone, web_hub, "cameras")
        cards = phone.locator("[data-camera]")
        assert cards.count() == len(cameras)
        # Working because the hub probed it and found it so; the others it cannot probe yet (no address):
        # not working for all anyone knows, and a resident reads that plainly, not a technician's detail.
        assert cards.first.locator(".badge").inner_text() == "Hoạt động tốt"
        assert phone.locator(f"[data-camera='{partner.id}'] .badge").inner_text() == "Chưa được kiểm tra"
        gate_name = next(g.name for g in web_hub.site.gates if g.id == working.group)
        assert phone.locator(f"[data-gate-line='{working.group}']").inner_text() == f"{gate_name}: chưa được kiểm tra"
        assert "địa chỉ" not in phone.locator("#view").inner_text()
        home = phone.request.get(f"{web_hub.url}/api/home").json()  # the home tile agrees with the page
        assert (home["cameras_ok"], home["cameras_total"]) == (1, len(cameras))
        assert phone.locator(".summary").inner_text() == f"1 trên {len(cameras)} camera hoạt động tốt"
        # When it was checked, in Hanoi time although this phone is set to Paris time.
        checked = phone.request.get(f"{web_hub.url}/api/cameras/{working.id}").json()["checked_ms"]
        at = datetime.fromtimestamp(checked / 1000, HANOI)
        today = at.date() == datetime.now(HANOI).date()
        shown = at.strftime("%H:%M" if today else "%d/%m/%Y %H:%M")
        assert f"Kiểm tra lúc {shown}" in phone.locator(f"[data-camera='{working.id}']").inner_text()
        screenshot(phone, "resident-cameras")
        assert_readable(phone, "cameras")
        assert_no_control(phone, "cameras")

    goto(phone, web_hub, "map")
    assert phone.locator("g.dev[data-id]").count() == len(web_hub.site.devices)
    # Both cameras of the main gate stand metres apart: one tap there shows each of them.
    phone.locator(f"g.dev[data-id='{cameras[0].id}']").click(force=True)
    assert phone.locator(f".map-info [data-pick='{cameras[0].id}']").is_visible()
    # The map says what the camera page says: working as probed; the other one not checked yet.
    said = {d.id: phone.locator(f".map-info [data-pick='{d.id}'] .status").inner_text() for d in (working, partner)}
    assert said == {working.id: "Camera an ninh · Hoạt động tốt", partner.id: "Camera an ninh · Chưa được kiểm tra"}
    screenshot(phone, "resident-map")
    assert_no_control(phone, "map")
    assert_readable(phone, "map")

    for name in OTHER_PAGES:
        phone.goto(f"{web_hub.url}/#/{name}")
        phone.wait_for_selector("[data-forbidden]")
        assert_no_control(phone, name)


def test_operators_read_why_a_camera_is_not_checked(web_hub: WebHub, phone: Page) -> None:
    login(phone, web_hub, Role.TECHNICIAN)
    goto(phone, web_hub, "cameras")
    unaddressed = [d for d in web_hub.site.devices if d.kind == Kind.CAMERA][-1]
    card = phone.locator(f"[data-camera='{unaddressed.id}']")
    assert card.locator(".badge").inner_text() == "Chưa cấu hình địa chỉ"
    assert card.locator("details.camera-tools").count() == 1  # and where to set it
    screenshot(phone, "technician-cameras")


def test_resident_control_calls_are_refused_and_publish_nothing(web_hub: WebHub, phone: Page) -> None:
    login(phone, web_hub, Role.RESIDENT)
    csrf = next(c["value"] for c in phone.context.cookies() if c["name"] == "hamlet_csrf")
    routes = control_routes()
    paths = {r.path for r in routes}
    assert {"/api/invites", "/api/users/{user_id}/disable"} <= paths, paths
    with watching(web_hub.site, web_hub.broker.host, web_hub.broker.port) as watcher:
        for route in routes:
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            for method in sorted(route.methods & WRITE_METHODS):
                # The browser's own cookies and CSRF token: the hub refuses the role, not a forged request.
                response = phone.request.fetch(web_hub.url + path, method=method, data={},
                                               headers={"X-CSRF-Token": csrf})
                assert response.status == 403, f"{method} {route.path}: {response.status} {response.text()}"
        time.sleep(1.0)  # a command would be on the wire well within this
        assert watcher.published() == []


def test_head_sees_the_controls_and_invites_a_resident(web_hub: WebHub, phone: Page, browser: Browser) -> None:
    login(phone, web_hub, Role.HEAD)
    screenshot(phone, "head-home")
    goto(phone, web_hub, "residents")
    invite = phone.locator("[data-control='invite']")
    assert invite.is_visible() and invite.bounding_box()["height"] >= 48  # type: ignore[index]
    invite.click()
    qr = phone.locator("img[data-qr]")
    qr.wait_for()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    link = phone.locator(".invite a").get_attribute("href")
    assert link and "#/invite/" in link
    screenshot(phone, "head-residents-invite")
    assert_readable(phone, "residents")

    # The new resident opens the link on their own phone and makes an account (and is logged in).
    context = new_phone(browser)
    try:
        newcomer = context.new_page()
        newcomer.goto(link)
        newcomer.fill("#name", NEWCOMER)
        newcomer.fill("#phone", "0912000099")
        newcomer.fill("#password", "mat-khau-moi-1")
        screenshot(newcomer, "resident-accepts-invite")
        newcomer.click("button[type=submit]")
        newcomer.wait_for_selector("[data-tile]")
    finally:
        context.close()

    # The head sees the new account and disables it.
    goto(phone, web_hub, "residents")
    row = phone.locator("[data-user]", has_text=NEWCOMER)
    phone.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-control='disable']").click()
    row.locator(".badge").wait_for()
    assert row.locator("[data-control]").count() == 0


def test_switching_language_changes_every_visible_string(web_hub: WebHub, phone: Page) -> None:
    names = proper_names(web_hub.site, [NEWCOMER, *(name for _, name in ACCOUNTS.values())])
    login(phone, web_hub, Role.HEAD)
    for page_name in ["home", "map", "cameras", "residents", "audit"]:
        goto(phone, web_hub, page_name)
        if page_name == "map":
            phone.locator("g.dev").first.click(force=True)  # the details panel has text of its own
        before = visible_texts(phone)
        phone.click("#lang")
        phone.wait_for_function("document.documentElement.lang === 'en'")
        after = visible_texts(phone)
        if page_name == "home":
            screenshot(phone, "head-home-en")
        assert language_leftovers(before, after, names) == [], page_name
        phone.click("#lang")
        phone.wait_for_function("document.documentElement.lang === 'vi'")
        assert visible_texts(phone) == before, page_name


def test_language_is_remembered_per_user(web_hub: WebHub, phone: Page, browser: Browser) -> None:
    login(phone, web_hub, Role.TECHNICIAN)
    goto(phone, web_hub, "devices")
    phone.click("#lang")
    phone.wait_for_function("document.documentElement.lang === 'en'")
    screenshot(phone, "technician-devices-en")
    assert_readable(phone, "devices")
    names = proper_names(web_hub.site, [NEWCOMER, *(name for _, name in ACCOUNTS.values())])
    assert language_leftovers([], visible_texts(phone), names) == []
    # Another phone, nothing in its storage: the hub remembers the technician's choice.
    context = new_phone(browser)
    try:
        other = context.new_page()
        login(other, web_hub, Role.TECHNICIAN)
        assert other.evaluate("document.documentElement.lang") == "en"
        assert other.locator("#nav [data-page='devices']").inner_text() == "Devices"
    finally:
        context.close()
    phone.click("#lang")
    phone.wait_for_function("document.documentElement.lang === 'vi'")


def test_language_before_login_is_remembered_on_the_phone(web_hub: WebHub, phone: Page) -> None:
    phone.goto(web_hub.url + "/")
    phone.wait_for_selector("#view[data-ready='login']")
    assert phone.locator("button[type=submit]").inner_text() == "Đăng nhập"
    screenshot(phone, "login")
    assert_readable(phone, "login")
    phone.click("#lang")
    assert phone.locator("button[type=submit]").inner_text() == "Log in"
    assert phone.locator("label[for=phone]").inner_text() == "Phone number"
    phone.reload()
    phone.wait_for_selector("#view[data-ready='login']")
    assert phone.locator("h2").inner_text() == "Log in"  # from the phone's storage, before any login


def test_device_going_offline_turns_its_dot_red_without_reload(web_hub: WebHub, phone: Page) -> None:
    light = lonely_light(web_hub.site)
    login(phone, web_hub, Role.RESIDENT)
    goto(phone, web_hub, "map")
    dot = phone.locator(f"g.dev[data-id='{light.id}']")
    assert dot.get_attribute("data-state") in ("on", "off")
    dot.click(force=True)
    phone.evaluate("window.__sameDocument = true")
    started = time.monotonic()
    web_hub.devices.go_offline(light)
    phone.wait_for_selector(f"g.dev[data-id='{light.id}'][data-state='offline']", timeout=5000)
    elapsed = time.monotonic() - started
    assert elapsed < 5.0
    assert phone.evaluate("window.__sameDocument") is True  # the page was not reloaded
    assert phone.locator(f".map-info [data-pick='{light.id}'] [data-status='offline']").inner_text().endswith(
        "Mất kết nối")
    screenshot(phone, "resident-map-offline")
    web_hub.devices.bring_online()
    phone.wait_for_selector(f"g.dev[data-id='{light.id}']:not([data-state='offline'])", timeout=5000)


def test_first_screen_is_under_150_kb(web_hub: WebHub, browser: Browser) -> None:
    """The login page for a new phone, and the home screen for a phone already logged in."""
    context = new_phone(browser)
    try:
        page = context.new_page()
        login_screen, login_perf = first_screen(page, web_hub.url + "/", "#view[data-ready='login']")
        phone_number, _ = ACCOUNTS[Role.RESIDENT]
        assert context.request.post(web_hub.url + "/api/session",
                                    data={"phone": phone_number, "password": PASSWORD}).ok
        home, home_perf = first_screen(page, web_hub.url + "/", "#view[data-ready='home']")
        screenshot(page, "first-screen-home")
    finally:
        context.close()
    print(f"\nfirst screen: login {login_screen.total} B (Performance API {login_perf} B), "
          f"home {home.total} B (Performance API {home_perf} B)")
    for name, transfer in (("login", login_screen), ("home", home)):
        assert 0 < transfer.total < FIRST_SCREEN_BUDGET, (name, transfer.by_url())
    # Only what the first screen shows is loaded: no other page's module.
    assert not [u for u in home.by_url() if "/pages/" in u and not u.endswith("/home.js")], home.by_url()
