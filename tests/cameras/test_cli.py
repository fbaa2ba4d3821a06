"""`hamlet-sim camera-fault PORT FAULT` steers a running simulated camera; `serve` runs a site's cameras."""

from __future__ import annotations

import threading
import urllib.request

import pytest

from simulators.camera_http import HttpCamera
from simulators.camera_serve import serve
from simulators.cli import main
from tests.cameras.sites import camera_site


def test_camera_fault_sets_and_clears(capsys: pytest.CaptureFixture[str]) -> None:
    cam = HttpCamera("cam-1", width=320, height=180).start()
    try:
        assert main(["camera-fault", str(cam.port), "covered"]) == 0
        assert cam.fault == "covered" and "covered" in capsys.readouterr().out
        assert main(["camera-fault", str(cam.port), "none"]) == 0
        assert cam.fault is None
        assert main(["camera-fault", str(cam.port), "melted"]) == 1
        assert "unknown camera fault 'melted'" in capsys.readouterr().err
    finally:
        cam.stop()


def test_camera_fault_without_a_camera_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["camera-fault", "1", "black"]) == 1
    assert "no simulated camera answers on 127.0.0.1:1" in capsys.readouterr().err


def test_serve_runs_every_camera_of_the_site_until_stopped() -> None:
    stop, lines = threading.Event(), list[str]()
    thread = threading.Thread(target=serve, args=(camera_site(2), "127.0.0.1", 0, 320, 180, stop, lines.append))
    thread.start()
    try:
        for _ in range(200):
            if len(lines) >= 3:
                break
            stop.wait(0.02)
        url = lines[0].split()[1]
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.headers["Content-Type"] == "image/jpeg" and response.read(3) == b"\xff\xd8\xff"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive() and lines[0].startswith("cam-1") and lines[1].startswith("cam-2")
