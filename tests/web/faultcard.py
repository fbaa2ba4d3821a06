"""The open-faults card (hub/web/static/js/faults.js) as the head uses it; the lights and the loudspeaker page
tests share it, as the two pages share the card."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect


def mark_seen(page: Page, row: Locator, vi: str, en: str, shoot: Callable[[str], None]) -> None:
    """The open fault `row` reads `vi` (`en` in English) with when it opened; "Đã xem" marks it seen, once.
    `shoot(lang)` takes the screenshot of each language."""
    expect(row.locator(".name")).to_have_text(vi)
    expect(row).to_contain_text("Từ ")
    row.locator("[data-control='seen']").click()
    expect(row.locator(".status")).to_contain_text("Đã xem lúc")
    expect(row.locator("[data-control='seen']")).to_have_count(0)
    row.scroll_into_view_if_needed()
    shoot("vi")
    page.click("#lang")
    expect(row.locator(".name")).to_have_text(en)
    expect(row).to_contain_text("Since ")
    expect(row.locator(".status")).to_contain_text("Seen at")
    shoot("en")
    page.click("#lang")
