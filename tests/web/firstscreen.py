"""Bytes a phone downloads for the first screen, counted by Chromium itself (DevTools protocol): every
response's encoded length on the wire, headers included, until the screen is drawn. The live stream stays
open, so it counts with the bytes received so far. Also read back through the Performance API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Page

PERFORMANCE_JS = """
() => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
  .reduce((sum, entry) => sum + entry.transferSize, 0)
"""


@dataclass
class Transfer:
    """encodedDataLength per request id, from Network.* events."""

    finished: dict[str, int] = field(default_factory=dict)
    streaming: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def on_response(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["response"]["url"]
        self.streaming[event["requestId"]] = int(event["response"].get("encodedDataLength", 0))

    def on_data(self, event: dict[str, Any]) -> None:
        rid = event["requestId"]
        self.streaming[rid] = self.streaming.get(rid, 0) + int(event.get("encodedDataLength", 0))

    def on_finished(self, event: dict[str, Any]) -> None:
        rid = event["requestId"]
        self.finished[rid] = int(event["encodedDataLength"])  # the total, headers included
        self.streaming.pop(rid, None)

    @property
    def total(self) -> int:
        return sum(self.finished.values()) + sum(self.streaming.values())

    def by_url(self) -> dict[str, int]:
        sizes = {**self.streaming, **self.finished}
        return {self.urls.get(rid, rid): n for rid, n in sizes.items()}


def first_screen(page: Page, url: str, ready_selector: str) -> tuple[Transfer, int]:
    """Load `url` in a page with an empty cache and count until `ready_selector` is on screen.
    Returns the DevTools count and the Performance API's transferSize sum."""
    cdp = page.context.new_cdp_session(page)
    transfer = Transfer()
    cdp.on("Network.responseReceived", transfer.on_response)
    cdp.on("Network.dataReceived", transfer.on_data)
    cdp.on("Network.loadingFinished", transfer.on_finished)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.goto(url)
    page.wait_for_selector(ready_selector)
    page.wait_for_timeout(300)  # let the last responses report their sizes
    performance: int = page.evaluate(PERFORMANCE_JS)
    cdp.detach()
    return transfer, performance
