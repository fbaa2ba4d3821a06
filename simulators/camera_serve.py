"""`hamlet-sim cameras` and `hamlet-sim camera-fault`: a site's cameras as HTTP servers on consecutive ports,
and a fault set on one of them at run time (through its own /sim/fault, from any process). `CameraServers` is
the same as a companion of a demo hub (`hamlet up`): started after the hub, stopped before it."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable

from devices.contract import Kind
from devices.site import Site
from simulators.camera_http import FAULTS, HttpCamera

log = logging.getLogger(__name__)
# Told where each camera answers once it listens: (device, host, port). The demo hub registers it the way a
# technician would; the simulators never import the hub.
Announce = Callable[[str, str, int], None]


def start_cameras(site: Site, host: str, base_port: int, width: int, height: int) -> list[HttpCamera]:
    """One HTTP camera per camera of the site on base_port, base_port + 1, ... (0: each on a free port)."""
    cameras: list[HttpCamera] = []
    try:
        for i, device in enumerate(d for d in site.devices if d.kind == Kind.CAMERA):
            port = base_port + i if base_port else 0
            cameras.append(HttpCamera(device.id, host=host, port=port, width=width, height=height, seed=i).start())
    except BaseException:  # a port taken half-way: the ones already listening must not linger
        for cam in cameras:
            cam.stop()
        raise
    return cameras


def serve(site: Site, host: str, base_port: int, width: int, height: int, stop: threading.Event,
          say: Callable[[str], None] = print) -> list[HttpCamera]:
    """One HTTP camera per camera of the site on base_port, base_port + 1, ...; runs until `stop`."""
    cameras = start_cameras(site, host, base_port, width, height)
    try:
        for cam in cameras:
            say(f"{cam.device:<32} http://{cam.host}:{cam.port}/snapshot.jpg  /health  /stream.mjpg")
        say("register each with the hub as a technician: PUT /api/cameras/{id}/address "
            '{"host": "...", "port": ...}; faults: hamlet-sim camera-fault PORT FAULT')
        stop.wait()
    finally:
        for cam in cameras:
            cam.stop()
    return cameras


class CameraServers:
    """A site's cameras on loopback free ports beside a demo hub; each announced once it listens."""

    def __init__(self, site: Site, announce: Announce, *, host: str = "127.0.0.1", width: int = 1280,
                 height: int = 720) -> None:
        self.site, self.announce, self.host, self.width, self.height = site, announce, host, width, height
        self.cameras: list[HttpCamera] = []

    def start(self) -> list[HttpCamera]:
        self.cameras = start_cameras(self.site, self.host, 0, self.width, self.height)
        for cam in self.cameras:
            try:
                self.announce(cam.device, cam.host, cam.port)
            except Exception:  # one camera the hub refused: the others still run, and the log says why
                log.exception("simulated camera %s on %s:%d not registered", cam.device, cam.host, cam.port)
        return self.cameras

    def stop(self) -> None:
        cameras, self.cameras = self.cameras, []
        for cam in cameras:
            cam.stop()


def set_fault(host: str, port: int, fault: str | None, timeout: float = 5.0) -> str | None:
    """Set (or clear, with None) the fault of the simulated camera at host:port; its fault as it answers."""
    if fault is not None and fault not in FAULTS:
        raise ValueError(f"unknown camera fault {fault!r}: expected one of {', '.join(FAULTS)} or none")
    request = urllib.request.Request(f"http://{host}:{port}/sim/fault", data=json.dumps({"fault": fault}).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http:// built here)
            answer: str | None = json.loads(response.read())["fault"]
            return answer
    except urllib.error.URLError as exc:
        raise OSError(f"no simulated camera answers on {host}:{port}: {exc.reason}") from None
