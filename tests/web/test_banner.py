"""The banner: when the hub loses the broker the app says so at once, and stops saying so when it is back.
A hub of its own, since the broker goes down here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from hub.auth.principal import Role
from tests.support.mosquitto import start_mosquitto
from tests.web.conftest import WebHub, login, running_hub, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def web_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebHub]:
    with running_hub(tmp_path_factory.mktemp("bannerhub")) as web:
        yield web


def test_banner_when_the_hub_loses_the_broker(web_hub: WebHub, phone: Page) -> None:
    login(phone, web_hub, Role.RESIDENT)
    banner = phone.locator("[data-banner='broker']")
    assert banner.count() == 0
    web_hub.broker.stop()
    banner.wait_for(timeout=5000)  # the hub notices the dropped connection, the feed polls every second
    assert banner.inner_text() == "Mất kết nối với bộ điều khiển thiết bị"
    screenshot(phone, "banner-broker-lost")

    # The same broker back on the same port: paho reconnects (1 s backoff) and the banner goes away.
    web_hub.broker = start_mosquitto(web_hub.broker.log.parent, port=web_hub.broker.port)
    banner.wait_for(state="detached", timeout=15_000)
    assert phone.locator("#banner").is_hidden()
