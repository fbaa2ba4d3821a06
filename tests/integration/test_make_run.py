"""`make run`'s command for real: `hamlet up` with its embedded broker, SQLite store and simulated fleet.

Within 30 s of the start, GET /api/devices lists every device of the model site online with recent telemetry;
its simulated HTTP cameras, registered like a technician would, reach "ok" by being probed, and a fault set
on one with `hamlet-sim camera-fault` shows up in the residents' camera list and the home screen's count.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.contract import Kind
from devices.site_loader import load_model_site
from tests.support.procs import free_port

pytestmark = pytest.mark.integration
ACCOUNT = re.compile(r"^\s+(head|technician|resident)\s+(\S+)\s+(\S+)\s*$", re.MULTILINE)
CAMERA = re.compile(r"^\s+Camera mô phỏng\s+:\s+(\S+)\s+127\.0\.0\.1:(\d+)", re.MULTILINE)


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

    def cameras(self) -> dict[str, int]:
        """The simulated cameras `hamlet up` says it serves: device -> loopback port."""
        return {device: int(port) for device, port in CAMERA.findall(self.out.read_text())}

    def token(self, role: str, timeout_s: float = 30) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                phone, password = self.accounts()[role]
                answer = self.call("POST", "/api/session", {"phone": phone, "password": password, "token": True})
                return str(answer["token"])  # type: ignore[index]
            except (urllib.error.URLError, OSError, KeyError):
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {role} session: {self.out.read_text()[-2000:]}") from None
                time.sleep(0.5)

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


def _until(what: str, timeout_s: float, check: Callable[[], object]) -> object:
    """check() until it answers something true (its answer), failing after timeout_s with the last answer."""
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout_s:g} s; last: {last}")


def test_hamlet_up_cameras_are_probed_to_ok_and_a_simulated_fault_shows(up: Up) -> None:
    site = load_model_site()
    wanted = {d.id for d in site.devices if d.kind == Kind.CAMERA}
    token = up.token("resident")
    ports = up.cameras()
    assert set(ports) == wanted, up.out.read_text()[-2000:]

    def statuses() -> dict[str, str]:
        listed: list[dict[str, Any]] = up.call("GET", "/api/cameras", token=token)  # type: ignore[assignment]
        return {c["id"]: c["status"] for c in listed}

    # "ok" comes only from a probe (a camera never probed says "unknown"): health as probed, not assumed.
    _until("every demo camera ok by probing", 60, lambda: set(statuses().values()) == {"ok"})
    home: dict[str, Any] = up.call("GET", "/api/home", token=token)  # type: ignore[assignment]
    assert (home["cameras_ok"], home["cameras_total"]) == (len(wanted), len(wanted))

    full = sorted(wanted)[0]
    sim = subprocess.run([sys.executable, "-m", "simulators.cli", "camera-fault", str(ports[full]), "storage_full"],
                         capture_output=True, text=True, timeout=30, check=False)
    assert sim.returncode == 0, sim.stderr

    def degraded() -> dict[str, Any] | None:
        camera: dict[str, Any] = up.call("GET", f"/api/cameras/{full}", token=token)  # type: ignore[assignment]
        return camera if camera["status"] == "degraded" else None

    camera: dict[str, Any] = _until(f"{full} degraded after storage_full", 45, degraded)  # type: ignore[assignment]
    assert "storage_full" in [r["code"] for r in camera["reasons"]] and "bộ nhớ đầy" in camera["vi"]
    assert statuses() == {d: "degraded" if d == full else "ok" for d in wanted}
    home = up.call("GET", "/api/home", token=token)  # type: ignore[assignment]
    assert home["cameras_ok"] == len(wanted) - 1
    up.stop()  # Ctrl-C: the simulated cameras stop with the hub
    for port in ports.values():
        with socket.socket() as s, pytest.raises(OSError):
            s.settimeout(2)
            s.connect(("127.0.0.1", port))
