"""The street-lights page in real Chromium at phone size, against a real hub, a real mosquitto and the
simulated lights of simulators.fleet: the head turns one alley on and follows the roll-up; the alley's dots
turn yellow only once the lights themselves report ON, never on the click. A resident sees no switch."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from devices.contract import Kind
from devices.site import Device
from hub.auth.principal import Role
from simulators.fleet import Fleet
from tests.web.conftest import WebHub, login, running_hub, screenshot
from tests.web.faultcard import mark_seen

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def lit_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebHub, Fleet]]:
    """The web hub, with every light played by a simulated light (the speakers and cameras stay fakes)."""
    with running_hub(tmp_path_factory.mktemp("lightshub")) as web:
        fleet = Fleet(web.site, web.broker.host, web.broker.port, kinds=[Kind.LIGHT], telemetry_interval_s=5.0,
                      keepalive=5)
        try:
            assert fleet.start(wait_s=10)
            yield web, fleet
        finally:
            assert fleet.stop()


def small_alley(web: WebHub) -> tuple[str, str, list[Device]]:
    """The alley with the fewest lights (two at least): its id, name and lights."""
    lights = [d for d in web.site.devices if d.kind == Kind.LIGHT]
    alleys = [(a.id, a.name, [d for d in lights if d.group == a.id]) for a in web.site.alleys]
    return min((a for a in alleys if len(a[2]) >= 2), key=lambda a: len(a[2]))


def open_lights(page: Page, web: WebHub) -> None:
    page.goto(f"{web.url}/#/lights")
    page.wait_for_selector("#view[data-ready='lights']")


def dot_states(page: Page, group: str) -> list[str]:
    states: list[str] = page.locator(f"[data-group='{group}'] .ldot").evaluate_all(
        "dots => dots.map(d => d.dataset.state)")
    return states


def wait_states(page: Page, group: str, want: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(dot_states(page, group)) == {want}:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{group}: dots {dot_states(page, group)}, wanted all {want}")


def test_head_turns_one_alley_on_and_dots_follow_the_lights(lit_hub: tuple[WebHub, Fleet], phone: Page) -> None:
    web, fleet = lit_hub
    alley, name, lights = small_alley(web)
    login(phone, web, Role.HEAD)
    open_lights(phone, web)
    card = phone.locator(f"[data-group='{alley}']")
    rollup = card.locator("[data-rollup]")

    # Start from dark: turn the alley off from the page and wait for its lights to say so.
    card.locator("[data-control='off']").click()
    expect(rollup).to_have_text(f"{name}: {len(lights)}/{len(lights)} đèn đã tắt", timeout=15_000)
    wait_states(phone, alley, "off")

    # The alley's lights lose the network: the command is queued for them, and nothing turns yellow.
    for light in lights:
        fleet.set_offline(light.id, True)
    wait_states(phone, alley, "offline")
    card.locator("[data-control='on']").click()
    expect(rollup).to_contain_text(f"{name}:")
    expect(rollup).not_to_have_attribute("data-done", "true")
    phone.wait_for_timeout(1000)
    assert "on" not in dot_states(phone, alley), "a dot turned yellow before its light reported ON"
    assert rollup.get_attribute("data-done") == "false"
    rollup.scroll_into_view_if_needed()
    screenshot(phone, "lights-head-queued")

    # They come back, receive the command, switch on and report it: only now the dots turn yellow.
    for light in lights:
        fleet.set_offline(light.id, False)
    expect(rollup).to_have_text(f"{name}: {len(lights)}/{len(lights)} đèn đã bật", timeout=20_000)
    wait_states(phone, alley, "on")
    rollup.scroll_into_view_if_needed()
    screenshot(phone, "lights-head-confirmed")

    # Phone-first: 18 px text, 48 px targets on the whole page.
    small = phone.evaluate("""() => [...document.querySelectorAll('button, nav a, input, select')]
        .filter((el) => el.checkVisibility())
        .map((el) => [el.textContent.trim() || el.id, el.getBoundingClientRect().height])
        .filter(([, height]) => height < 48)""")
    assert small == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_head_sees_a_lamp_failure_marks_it_seen_and_it_closes_when_mended(
        lit_hub: tuple[WebHub, Fleet], phone: Page) -> None:
    web, fleet = lit_hub
    alley, _, lights = small_alley(web)
    broken = lights[0]
    login(phone, web, Role.HEAD)
    open_lights(phone, web)
    card = phone.locator(f"[data-group='{alley}']")
    card.locator("[data-control='on']").click()
    wait_states(phone, alley, "on")

    # The lamp dies while lit: the light says so, the hub opens a fault, the page shows it live.
    fleet.inject(broken.id, "lamp_failure")
    row = phone.locator("[data-section='faults'] [data-fault]").filter(has_text=broken.name)
    expect(row).to_have_count(1, timeout=15_000)
    mark_seen(phone, row, f"{broken.name}: bóng đèn hỏng", f"{broken.name}: lamp failure",
              lambda lang: screenshot(phone, f"lights-head-fault-seen-{lang}"))

    # Mended: the light reports it restored and the fault leaves the list by itself.
    fleet.inject(broken.id, None)
    expect(row).to_have_count(0, timeout=15_000)


def test_resident_sees_the_lights_but_no_switch(lit_hub: tuple[WebHub, Fleet], phone: Page) -> None:
    web, _ = lit_hub
    login(phone, web, Role.RESIDENT)
    open_lights(phone, web)
    assert phone.locator("[data-group]").count() > 0
    assert phone.locator("[data-control]").count() == 0
    assert phone.locator("input, select").count() == 0
    assert phone.locator("[data-section='faults']").count() == 0
    assert re.search(r"\d+/\d+ đèn đang bật", phone.locator("[data-group] [data-count]").first.inner_text())
    screenshot(phone, "lights-resident")



def test_head_adds_a_schedule_sees_it_in_the_preview_then_deletes_it(
        lit_hub: tuple[WebHub, Fleet], phone: Page) -> None:
    web, _ = lit_hub
    login(phone, web, Role.HEAD)
    open_lights(phone, web)
    phone.on("dialog", lambda dialog: dialog.accept())
    name = "Ngõ 5: 19:00 bật 100%, 23:00 50%"

    editor = phone.locator("[data-editor]")
    editor.locator("summary").click()
    editor.locator("#rule-target").select_option("ngo-5")
    step1 = editor.locator("[data-step='0']")
    step1.locator("[data-field='anchor']").select_option("clock")
    step1.locator("[data-field='time']").fill("19:00")
    step1.locator("[data-level='100']").click()
    editor.locator("[data-control='add-step']").click()
    step2 = editor.locator("[data-step='1']")
    step2.locator("[data-field='time']").fill("23:00")
    step2.locator("[data-level='50']").click()
    step1.scroll_into_view_if_needed()
    screenshot(phone, "lights-rule-steps")
    editor.locator("[data-days='every']").click()
    editor.locator("#rule-name").fill(name)
    editor.locator("[data-control='save-rule']").scroll_into_view_if_needed()
    screenshot(phone, "lights-rule-editor")
    editor.locator("[data-control='save-rule']").click()

    row = phone.locator("[data-rule]", has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ngõ 5")
    expect(row.locator("[data-describe]")).to_have_text(
        "19:00 bật 100%, 23:00 bật 50%, tắt lúc mặt trời mọc · Hằng ngày")
    lines = phone.locator("[data-preview='ngo-5'] .lines")
    expect(lines).to_contain_text("19:00 — bật 100%")
    expect(lines).to_contain_text("23:00 — bật 50%")
    row.scroll_into_view_if_needed()
    screenshot(phone, "lights-rule-list")

    row.locator("[data-control='delete-rule']").click()
    expect(row).to_have_count(0)
    expect(phone.locator("[data-notice]")).to_contain_text("Đã xoá lịch")
    expect(phone.locator("[data-preview='ngo-5']")).not_to_contain_text("19:00 — bật 100%")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
