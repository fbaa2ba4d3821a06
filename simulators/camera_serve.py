"""`hamlet-sim cameras` and `hamlet-sim camera-fault`: a site's cameras as HTTP servers on consecutive ports,
and a fault set on one of them at run time (through its own /sim/fault, from any process)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable

from devices.contract import Kind
from devices.site import Site
from simulators.camera_http import FAULTS, HttpCamera


def serve(site: Site, host: str, base_port: int, width: int, height: int, stop: threading.Event,
          say: Callable[[str], None] = print) -> list[HttpCamera]:
    """One HTTP camera per camera of the site on base_port, base_port + 1, ...; runs until `stop`."""
    cameras = [HttpCamera(d.id, host=host, port=base_port + i if base_port else 0, width=width, height=height,
                          seed=i).start()
               for i, d in enumerate(d for d in site.devices if d.kind == Kind.CAMERA)]
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
