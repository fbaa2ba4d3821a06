"""`make run`'s command for real: `hamlet up` with its embedded broker, SQLite store and simulated fleet.

Within 30 s of the start, GET /api/devices lists every device of the model site online with recent telemetry.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.site_loader import load_model_site
from tests.support.procs import free_port

pytestmark = pytest.mark.integration
ACCOUNT = re.compile(r"^\s+(head|technician|resident)\s+(\S+)\s+(\S+)\s*$", re.MULTILINE)


class Up:
    def __init__(self, data: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "HAMLET_DATA_DIR": str(data), "HAMLET_EMBEDDED_BROKER_PORT": str(free_port())}
        self.out = data.parent / "up.log"
        with self.out.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "hub", "up", "--port", str(self.port)],
                                         stdout=log, stderr=subprocess.STDOUT, env=env)
        self.started = time.monotonic()

    def call(self, method: str, path: str, body: object = None, token: str | None = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def accounts(self) -> dict[str, tuple[str, str]]:
        return {role: (phone, pw) for role, phone, pw in ACCOUNT.findall(self.out.read_text())}

    def stop(self) -> None:
        """Like Ctrl-C: the hub must stop cleanly and promptly."""
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError("hamlet up did not stop within 20 s of Ctrl-C") from None
        assert code == 0, self.out.read_text()[-2000:]


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    running = Up(tmp_path / "data")
    yield running
    running.stop()


def test_hamlet_up_brings_every_model_site_device_online_within_30_s(up: Up) -> None:
    site = load_model_site()
    token = None
    devices: list[dict[str, object]] = []
    while time.monotonic() - up.started < 30:
        time.sleep(0.5)
        try:
            if token is None:
                phone, password = up.accounts()["resident"]
                answer = up.call("POST", "/api/session", {"phone": phone, "password": password, "token": True})
                token = str(answer["token"])  # type: ignore[index]
            devices = up.call("GET", "/api/devices", token=token)  # type: ignore[assignment]
        except (urllib.error.URLError, OSError, KeyError):
            continue
        now_ms = time.time() * 1000
        if all(d["online"] and d["telemetry_ms"] and now_ms - float(d["telemetry_ms"]) < 30_000  # type: ignore[arg-type]
               for d in devices) and len(devices) == len(site.devices):
            break
    offline = [d["id"] for d in devices if not d["online"] or not d["telemetry_ms"]]
    assert len(devices) == len(site.devices), up.out.read_text()[-2000:]
    assert offline == [], f"not online with telemetry after 30 s: {offline}"
    assert "/docs" in up.out.read_text()  # it prints the web app and API docs addresses
