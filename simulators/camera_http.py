"""A security camera as a real HTTP server, the way the hub meets one on the hamlet's network:

    GET /snapshot.jpg   the current picture (JPEG), rendered from the scene on the camera's own clock
    GET /stream.mjpg    the same as an MJPEG stream (multipart/x-mixed-replace), a few frames a second
    GET /health         JSON: time_ms, uptime_s, temperature_c, recording, storage_free_pct
    POST /sim/fault     the simulator's own control (never part of a real camera): {"fault": name | null}

Faults are set at run time (`set_fault`, `hamlet-sim camera-fault`), see FAULTS. Runs on stdlib http.server
in one daemon thread plus one per open connection; port 0 picks a free port.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import numpy as np

from simulators.camera_logic import CameraLogic
from simulators.camera_scene import PICTURE_FAULTS, Scene, encode

log = logging.getLogger(__name__)
Clock = Callable[[], int]

FAULTS: Final[dict[str, str]] = {
    "offline": "connections are closed without an answer (the camera is off the network)",
    "hang": "connections are accepted and never answered",
    "slow": "every answer waits `slow_s` seconds first",
    "freeze": "the same picture again and again, answered fast",
    "black": "a black picture (dead sensor, lens cap)",
    "covered": "a hand or a cloth over the lens",
    "blur": "out of focus",
    "turned_away": "the camera points elsewhere",
    "noisy": "heavy sensor noise",
    "glare": "the sun or a headlight straight into the lens",
    "stop_recording": "the health endpoint says recording false",
    "storage_full": "storage 0% free, recording false",
    "reboot": "off the network for `reboot_s`, then back with its uptime reset (clears itself)",
    "corrupt": "a JPEG cut in half with garbage after it",
    "enormous": "a JPEG of about 20 MB",
}
ENORMOUS_BYTES: Final = 20 * 1024 * 1024
HANG_MAX_S: Final = 120.0  # a hanging connection gives up eventually, so a forgotten test still ends


class HttpCamera:
    def __init__(self, device: str, *, host: str = "127.0.0.1", port: int = 0, width: int = 1280,
                 height: int = 720, seed: int = 0, clock: Clock | None = None, slow_s: float = 4.0,
                 reboot_s: float = 3.0, quality: int = 80) -> None:
        self.device, self.slow_s, self.reboot_s, self.quality = device, slow_s, reboot_s, quality
        self.clock: Clock = clock or (lambda: int(time.time() * 1000))
        self.scene = Scene(width, height, seed)
        self._rng = np.random.default_rng(seed)
        self._jitter = random.Random(seed)
        self.logic = CameraLogic(booted_ms=self.clock(), storage_free_pct=round(60 + 35 * self._jitter.random(), 1))
        self.fault: str | None = None
        self.served = 0  # snapshots answered, for tests and the bench
        self._last: bytes | None = None
        self._lock = threading.Lock()
        self._released = threading.Event()  # set: hanging connections let go
        self._rebooting_until = 0.0
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"cam-{device}", daemon=True)

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HttpCamera:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def set_fault(self, fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown camera fault {fault!r}: expected one of {', '.join(FAULTS)}")
        with self._lock:
            now = self.clock()
            if fault == "reboot":
                self.logic.boot(now)
                self._rebooting_until = time.monotonic() + self.reboot_s
                fault = None
            self.logic.set_fault("storage_full" if fault == "storage_full" else None, now)
            if fault != "freeze":
                self._last = None
            self.fault = fault
            self._released.set()  # a hang ends when the fault changes
            self._released = threading.Event()

    # --- what the handler serves ----------------------------------------------------------------
    def snapshot(self) -> bytes:
        with self._lock:
            if self.fault == "freeze" and self._last is not None:
                return self._last
            fault = self.fault if self.fault in PICTURE_FAULTS else None
            data = encode(self.scene.render(self.clock(), self._rng, fault), self.quality)
            self._last, self.served = data, self.served + 1
        if self.fault == "corrupt":
            cut = len(data) // 2
            return data[:cut] + bytes(self._jitter.getrandbits(8) for _ in range(512))
        return data

    def health(self) -> dict[str, Any]:
        with self._lock:
            now = self.clock()
            sample = self.logic.sample(now, self._jitter)
            recording = self.logic.recording and self.fault != "stop_recording"
        return {"time_ms": now, "uptime_s": sample["uptime_s"], "temperature_c": sample["temperature_c"],
                "recording": recording, "storage_free_pct": sample["storage_free_pct"]}

    def behaviour(self) -> str | None:
        """What the connection layer does before answering: offline, hang, slow, or nothing special."""
        if time.monotonic() < self._rebooting_until:
            return "offline"
        return self.fault if self.fault in ("offline", "hang", "slow") else None

    def hang(self) -> None:
        self._released.wait(HANG_MAX_S)


def _handler(camera: HttpCamera) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", camera.device, format % args)

        def do_GET(self) -> None:
            if not self._arrive():
                return
            if self.path == "/snapshot.jpg":
                self._snapshot()
            elif self.path == "/health":
                self._send(200, "application/json", json.dumps(camera.health()).encode())
            elif self.path == "/stream.mjpg":
                self._stream()
            else:
                self._send(404, "text/plain", b"not found")

        def do_POST(self) -> None:
            if self.path != "/sim/fault":
                self._send(404, "text/plain", b"not found")
                return
            length = min(int(self.headers.get("Content-Length") or 0), 4096)
            try:
                camera.set_fault(json.loads(self.rfile.read(length) or b"{}").get("fault"))
            except (ValueError, AttributeError) as exc:
                self._send(422, "application/json", json.dumps({"error": str(exc)}).encode())
                return
            self._send(200, "application/json", json.dumps({"fault": camera.fault}).encode())

        def _arrive(self) -> bool:
            behaviour = camera.behaviour()
            if behaviour == "offline":
                self.close_connection = True
                return False
            if behaviour == "hang":
                camera.hang()
                self.close_connection = True
                return False
            if behaviour == "slow":
                time.sleep(camera.slow_s)
            return True

        def _snapshot(self) -> None:
            data = camera.snapshot()
            if camera.fault != "enormous":
                self._send(200, "image/jpeg", data)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(ENORMOUS_BYTES))
            self.end_headers()
            try:
                self.wfile.write(data[:-2])
                block, left = bytes(64 * 1024), ENORMOUS_BYTES - len(data)
                while left > 0:
                    self.wfile.write(block[:min(left, len(block))])
                    left -= len(block)
                self.wfile.write(b"\xff\xd9")
            except OSError:  # the hub stops reading at its byte cap and hangs up: as it should
                self.close_connection = True

        def _stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            self.close_connection = True
            try:
                for _ in range(50):  # a bounded stream: ~10 s at 5 fps, then the client reconnects
                    data = camera.snapshot()
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                     + str(len(data)).encode() + b"\r\n\r\n" + data + b"\r\n")
                    time.sleep(0.2)
            except OSError:
                pass

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                self.close_connection = True

    return Handler
