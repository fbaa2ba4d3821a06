"""Run-time fault injection for a running fleet, over a local unix socket (JSON lines).

A control topic on the broker would put a topic outside the contract (and let anyone on the broker break
devices), so a fleet started with `--control PATH` listens on a unix socket instead. Each request is one
JSON object on one line, answered by one line:

    {"device": "den-ngo3-07", "fault": "lamp_failure"}   -> {"ok": true}
    {"device": "den-ngo3-07", "fault": null}             -> clears the fault
    {"device": "den-ngo3-07", "offline": true}           -> drops the connection (the broker sends the will)
    {"device": "den-ngo3-07", "offline": false}          -> reconnects
    {"device": "loa-bac-1", "power": false}              -> the device loses its mains: it stops and drops off
                                                            (a speaker then misses what falls due; true: back)
    {"cabinet": "tu-dien-2", "power": false}             -> {"ok": true, "lights": [...]}: the cabinet's lights
                                                            lose mains and drop off together (power true: back)
    {"list": true}                                       -> {"ok": true, "devices": [{"device", "kind", ...}]}
    anything wrong                                       -> {"ok": false, "error": "..."}
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from simulators.fleet import Fleet

MAX_LINE: Final = 4096  # a request is a short line
MAX_ANSWER: Final = 1 << 20  # a list of a few thousand devices


def apply_request(fleet: Fleet, request: object) -> dict[str, Any]:
    """Apply one control request to the fleet; never raises, answers what went wrong instead."""
    if not isinstance(request, dict):
        return {"ok": False, "error": "a request is a JSON object"}
    try:
        if request.get("list") is True:
            return {"ok": True, "devices": [_describe(fleet, d) for d in fleet.devices]}
        if "cabinet" in request:
            return _cabinet(fleet, request)
        device = request.get("device")
        if not isinstance(device, str):
            return {"ok": False, "error": "device: give the device id as a string"}
        if "fault" in request:
            fleet.inject(device, request["fault"])
        elif isinstance(request.get("offline"), bool):
            fleet.set_offline(device, request["offline"])
        elif isinstance(request.get("power"), bool):
            target = fleet.device(device)
            if request["power"]:
                target.power_on()
            else:
                target.power_off()
        else:
            return {"ok": False, "error": "give fault (a name or null), offline (true/false) or power (true/false)"}
    except (KeyError, ValueError) as err:
        return {"ok": False, "error": str(err).strip("'\"")}
    return {"ok": True}


def _cabinet(fleet: Fleet, request: dict[str, Any]) -> dict[str, Any]:
    cabinet, power = request.get("cabinet"), request.get("power")
    if not isinstance(cabinet, str) or not isinstance(power, bool):
        return {"ok": False, "error": "cabinet: give the cabinet id as a string and power true/false"}
    return {"ok": True, "lights": fleet.set_cabinet_power(cabinet, power)}


def _describe(fleet: Fleet, device: Any) -> dict[str, Any]:
    return {"device": device.device_id, "kind": str(device.kind), "fault": device.fault,
            "online": device.connected.is_set(), "powered": device.powered,
            "cabinet": fleet.cabinet_of(device.device_id)}


class _Handler(socketserver.StreamRequestHandler):
    server: _Server
    timeout = 5.0  # the server answers one client at a time: one that hangs must not block the others

    def handle(self) -> None:
        for line in iter(lambda: self.rfile.readline(MAX_LINE), b""):
            try:
                answer = apply_request(self.server.fleet, json.loads(line))
            except ValueError as err:
                answer = {"ok": False, "error": f"not JSON: {err}"}
            self.wfile.write(json.dumps(answer).encode() + b"\n")


class _Server(socketserver.UnixStreamServer):
    def __init__(self, path: Path, fleet: Fleet) -> None:
        self.fleet = fleet
        super().__init__(str(path), _Handler)


class ControlServer:
    """Listens on `path` in a thread of its own; `stop()` closes it and removes the socket file."""

    def __init__(self, fleet: Fleet, path: Path) -> None:
        self.path = path
        if path.is_socket():
            if _answers(path):
                raise FileExistsError(f"{path}: another fleet is listening there")
            path.unlink()  # left over from a fleet that was killed
        self._server = _Server(path, fleet)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.2,), name="sim-control")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self.path.unlink(missing_ok=True)


def _answers(path: Path) -> bool:
    try:
        request(path, {"list": True}, timeout_s=1.0)
    except OSError:
        return False
    return True


def request(path: Path, message: dict[str, Any], timeout_s: float = 5.0) -> dict[str, Any]:
    """Send one request to a fleet's control socket and return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        sock.connect(str(path))
        sock.sendall(json.dumps(message).encode() + b"\n")
        with sock.makefile("rb") as answer:
            line = answer.readline(MAX_ANSWER)
    if not line:
        raise ConnectionError(f"{path}: the fleet closed the connection without answering")
    reply: dict[str, Any] = json.loads(line)
    return reply
