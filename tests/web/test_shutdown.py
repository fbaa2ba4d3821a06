"""The hub stops at once on Ctrl-C even while a phone holds the live stream open (uvicorn waits for every
open response before shutting down, and a stream never ends by itself)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from hub.auth.principal import Role
from tests.web.conftest import ACCOUNTS, PASSWORD, WebHub, running_hub

pytestmark = pytest.mark.integration


@pytest.fixture
def web_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebHub]:
    with running_hub(tmp_path_factory.mktemp("shutdownhub")) as web:
        yield web


def test_ctrl_c_ends_open_event_streams(web_hub: WebHub) -> None:
    phone, _ = ACCOUNTS[Role.RESIDENT]
    with httpx.Client(base_url=web_hub.url) as client:
        token = client.post("/api/session", json={"phone": phone, "password": PASSWORD, "token": True}).json()["token"]
    opened, ended = threading.Event(), threading.Event()

    def listen() -> None:
        with httpx.Client(base_url=web_hub.url, timeout=30) as client, client.stream(
            "GET", "/api/events", headers={"Authorization": f"Bearer {token}"}
        ) as stream:
            for line in stream.iter_lines():
                if line.startswith("event: health"):
                    opened.set()
        ended.set()  # the hub closed the stream cleanly (chunked encoding complete)

    listener = threading.Thread(target=listen)
    listener.start()
    try:
        assert opened.wait(10)
        proc = web_hub.hub.proc
        assert proc is not None
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
        assert time.monotonic() - started < 5 and proc.returncode == 0
        assert ended.wait(5)
    finally:
        listener.join(10)
