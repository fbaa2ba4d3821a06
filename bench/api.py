"""API benchmark: the read routes the web app calls, for a site of 10,000 devices, beside a baseline.

One hub (memory bus, real SQLite files) under uvicorn on a free port, every device online with a state.
Each route is timed over real HTTP with keep-alive, in rounds interleaved with the baseline (a route on
the same app, behind the same auth, that returns a constant), so the ratio survives a noisy machine:
  1. GET /api/home                       the home screen's figures
  2. GET /api/devices                    a page (500 devices, full), what the devices page loads first
  3. the same with If-None-Match         an unchanged list: 304
  4. the same right after a device changed   the list re-encoded (each device's JSON is kept per change)
  5. GET /api/devices?view=map&limit=…   the whole commune in the map's projection, one request
  6. the first screen's transferred bytes, counted by Chromium (login page, and home when logged in)
One line per figure.

    .venv/bin/python bench/api.py [--devices 10000] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.contract import topic
from hub.api.access import ANY_ROLE, allow
from hub.api.app import create_app
from hub.auth.principal import Role
from hub.bus.memory import MemoryBroker
from hub.runtime import Hub
from hub.timeutil import now_ms
from tests.auth.clients import PASSWORD, bearer, user
from tests.hub.apphub import memory_hub
from tests.hub.sites import load_site
from tests.support.procs import free_port

PAGE = "/api/devices"  # the default page: 500 devices in full
MAP = "/api/devices?view=map&limit=20000"  # the whole commune in the map's projection
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def bring_online(broker: MemoryBroker, hub: Hub) -> None:
    """Retained availability and a state for every device, through the hub's own ingest."""
    device = broker.client()
    device.start()
    ts = now_ms()
    for i, d in enumerate(hub.site.devices):
        on = "ON" if i % 3 else "OFF"
        body = json.dumps({"ts": ts, "seq": 1, "state": on, "brightness": 80 if i % 3 else 0}).encode()
        device.publish(topic(hub.site.id, d.kind, d.id, "state"), body, retain=True)
        device.publish(topic(hub.site.id, d.kind, d.id, "availability"), b"online", retain=True)
    device.stop()
    deadline = time.monotonic() + 60
    while sum(1 for live in hub.registry.all() if live.online) < len(hub.site.devices):
        if time.monotonic() > deadline:
            raise RuntimeError("the devices did not come online")
        time.sleep(0.1)


def timed(client: httpx.Client, path: str, n: int, headers: dict[str, str] | None = None,
          status: int = 200, before: Callable[[], None] | None = None) -> tuple[list[float], int]:
    """n sequential GETs (after `before()` each, untimed); latencies in ms and the last body's size on the wire."""
    out, size = [], 0
    for _ in range(n):
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        size = len(response.read())
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != status:
            raise RuntimeError(f"GET {path}: {response.status_code}, expected {status}")
    return out, int(response.headers.get("content-length", size))


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def line(name: str, samples: list[float], base: list[float], size: int) -> list[str]:
    rows = []
    for q in (50, 95):
        value, baseline = p(samples, q), p(base, q)
        rows.append(f"{name + f' p{q}':<40} {value:>9.2f} ms   baseline {baseline:>6.2f} ms   ratio "
                    f"{value / baseline:>7.1f}   ({size:,} B)")
    return rows


def first_screen_bytes(url: str, phone: str) -> list[str]:
    if not CHROMIUM.exists():
        return [f"{'first screen':<40} n/a: {CHROMIUM} is missing (make test installs it)"]
    from playwright.sync_api import sync_playwright

    from tests.web.firstscreen import first_screen

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
        page = context.new_page()
        login, _ = first_screen(page, url + "/", "#view[data-ready='login']")
        rows.append(f"{'first screen bytes: login (new phone)':<40} {login.total:>9,} B   budget 150,000 B   "
                    f"ratio {login.total / 150_000:>5.2f}")
        context.request.post(url + "/api/session", data={"phone": phone, "password": PASSWORD})
        home, _ = first_screen(page, url + "/", "#view[data-ready='home']")
        rows.append(f"{'first screen bytes: home (logged in)':<40} {home.total:>9,} B   budget 150,000 B   "
                    f"ratio {home.total / 150_000:>5.2f}")
        context.close()
        browser.close()
    return rows


class Changer:
    """Turns one light on or off through the hub's own ingest, and waits until the registry has it."""

    def __init__(self, broker: MemoryBroker, hub: Hub) -> None:
        self.hub = hub
        self.device = broker.client()
        self.device.start()
        self.on = False

    def change(self) -> None:
        self.on = not self.on
        d = self.hub.site.devices[0]
        body = json.dumps({"ts": now_ms(), "seq": 2, "state": "ON" if self.on else "OFF", "brightness": 50}).encode()
        version = self.hub.registry.version
        self.device.publish(topic(self.hub.site.id, d.kind, d.id, "state"), body, retain=True)
        deadline = time.monotonic() + 10
        while self.hub.registry.version == version:
            if time.monotonic() > deadline:
                raise RuntimeError("the change did not reach the registry")
            time.sleep(0.001)


def run(devices: int, rounds: int, report: Callable[[str], None]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        broker = MemoryBroker()
        hub = memory_hub(Path(tmp), load_site(devices, "bench-api"), broker)
        app = create_app(lambda: hub)

        # The baseline: the same app, the same auth, no work.
        @app.get("/bench/constant", dependencies=[allow(*ANY_ROLE)])
        def constant() -> dict[str, int]:
            return {"ok": 1}

        server, thread, url = serve(app)
        try:
            bring_online(broker, hub)
            resident = user(hub, Role.RESIDENT)
            with httpx.Client(base_url=url, headers=bearer(hub, Role.RESIDENT), timeout=60) as client:
                for path in ("/bench/constant", "/api/home", PAGE, MAP):
                    timed(client, path, 3)  # warm up (and fill the list caches)
                changer = Changer(broker, hub)
                base: list[float] = []
                figures: dict[str, tuple[list[float], int]] = {}

                def add(name: str, result: tuple[list[float], int]) -> None:
                    samples, _ = figures.get(name, ([], 0))
                    figures[name] = (samples + result[0], result[1])

                for _ in range(rounds):  # interleaved, so drift hits every route alike
                    base += timed(client, "/bench/constant", 100)[0]
                    add("GET /api/home", timed(client, "/api/home", 50))
                    add(f"GET {PAGE} (a page)", timed(client, PAGE, 100))
                    tag = client.get(PAGE).headers["etag"]
                    add(f"GET {PAGE} unchanged: 304", timed(client, PAGE, 100, {"If-None-Match": tag}, 304))
                    add(f"GET {PAGE} after 1 device changed", timed(client, PAGE, 10, before=changer.change))
                    add(f"GET {MAP} (whole map)", timed(client, MAP, 10))
            report(f"API latency, {devices:,} devices, {rounds} interleaved rounds, sequential keep-alive requests "
                   "(gzip accepted)")
            for name, (samples, size) in figures.items():
                for row in line(f"{name} n={len(samples)}", samples, base, size):
                    report(row)
            report(f"{'baseline GET /bench/constant p50':<40} {p(base, 50):>9.2f} ms")
            for row in first_screen_bytes(url, resident.phone):
                report(row)
        finally:
            server.should_exit = True
            thread.join(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    run(args.devices, args.rounds, lambda text: print(text, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
