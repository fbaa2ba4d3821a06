"""Runs the lights, speakers and cameras of a Site against a broker: one NetLoop thread, one connection per
device.

Each device keeps its own connection because a last will belongs to a connection (availability is the
contract's last will), but all the connections share one thread and one selector (see netloop.py), so a
site of a few hundred devices costs one thread and little CPU. The site's power cabinets are simulated too:
cutting one takes every light it feeds off the network at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from devices.contract import Kind
from devices.site import Site
from simulators.control import ControlServer
from simulators.device import SimDevice
from simulators.netloop import NetLoop
from simulators.registry import SIMULATORS
from simulators.stamp import Clock, now_ms

log = logging.getLogger(__name__)


class Fleet:
    def __init__(self, site: Site, broker_host: str, broker_port: int, *, telemetry_interval_s: float = 10.0,
                 kinds: Iterable[Kind | str] | None = None, play_s: float = 5.0, slow_ack_s: float = 5.0,
                 keepalive: int = 30, reboot_s: float = 3.0, clock: Clock = now_ms,
                 clock_check_s: float = 1.0) -> None:
        """`clock` is every device's own clock (ms since the epoch): a test passes a controlled one to move
        schedules, overrides and command expiry forward; devices re-read it every `clock_check_s`."""
        self.site = site
        self.skipped: list[str] = []  # devices of a kind that has no simulator
        wanted = {Kind(k) for k in kinds} if kinds is not None else set(Kind)
        extra: Mapping[Kind, Mapping[str, Any]] = {Kind.SPEAKER: {"play_s": play_s},
                                                   Kind.CAMERA: {"reboot_s": reboot_s}}
        self._net = NetLoop(f"fleet-{site.id}")
        self._devices: dict[str, SimDevice] = {}
        self._cabinets = {d.id: d.cabinet for d in site.devices if d.cabinet is not None}
        for device in site.devices:
            cls = SIMULATORS.get(device.kind)
            if device.kind not in wanted:
                continue
            if cls is None:  # a kind whose simulator is still to come
                self.skipped.append(device.id)
                continue
            self._devices[device.id] = cls(
                site.id, device.id, self._net, broker_host, broker_port,
                telemetry_interval_s=telemetry_interval_s, slow_ack_s=slow_ack_s, keepalive=keepalive,
                clock=clock, clock_check_s=clock_check_s, **extra.get(device.kind, {}),
            )
        self._started = False

    @property
    def devices(self) -> tuple[SimDevice, ...]:
        return tuple(self._devices.values())

    def device(self, device_id: str) -> SimDevice:
        try:
            return self._devices[device_id]
        except KeyError:
            raise KeyError(f"device {device_id!r} is not simulated by this fleet") from None

    def start(self, wait_s: float | None = 10.0) -> bool:
        """Connect every device; with `wait_s`, wait that long for all to be online, say whether they are."""
        self._net.start()
        self._started = True
        for device in self._devices.values():
            device.start()
        return self.wait_online(wait_s) if wait_s is not None else True

    def wait_online(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        return all(d.connected.wait(max(0.0, deadline - time.monotonic())) for d in self._devices.values())

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Each device publishes `offline` retained and disconnects; True when all did within the timeout."""
        if not self._started:
            return True
        self._started = False
        for device in self._devices.values():
            device.stop()
        deadline = time.monotonic() + timeout_s
        clean = all(d.closed.wait(max(0.0, deadline - time.monotonic())) for d in self._devices.values())
        if not clean:
            log.warning("some devices did not disconnect cleanly within %.0f s", timeout_s)
        self._net.stop()
        return clean

    def inject(self, device_id: str, fault: str | None) -> None:
        """Set (or with None clear) a device's fault; see `hamlet-sim faults` for the names."""
        self.device(device_id).fault = fault

    def set_offline(self, device_id: str, offline: bool) -> None:
        """A network loss (or its end): the device keeps running; the broker publishes its last will."""
        device = self.device(device_id)
        if offline:
            device.go_offline()
        else:
            device.come_online()

    def set_cabinet_power(self, cabinet_id: str, on: bool) -> list[str]:
        """Cut (or restore) a power cabinet's mains: every light it feeds goes dark and off the network at
        once, without a DISCONNECT, so the broker publishes each last will; they come back together (within
        milliseconds: they reconnect one after another, see gate.py). Returns the lights simulated here."""
        if all(c.id != cabinet_id for c in self.site.cabinets):
            known = ", ".join(c.id for c in self.site.cabinets) or "none"
            raise KeyError(f"cabinet {cabinet_id!r} is not in site {self.site.id} (cabinets: {known})")
        fed = [self._devices[d.id] for d in self.site.fed_by(cabinet_id) if d.id in self._devices]
        for device in fed:
            if on:
                device.power_on()
            else:
                device.power_off()
        return [d.device_id for d in fed]

    def cabinet_of(self, device_id: str) -> str | None:
        return self._cabinets.get(device_id)

    def __enter__(self) -> Fleet:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_fleet(site: Site, host: str, port: int, stop_event: threading.Event, *,
              control_path: Path | None = None, **options: Any) -> None:
    """Run a site's simulated devices until `stop_event` is set (for a demo hub or a test in-process).

    `options` go to Fleet (telemetry_interval_s, kinds, play_s...); with `control_path` the fleet also
    listens there for fault injection (see simulators/control.py).
    """
    fleet = Fleet(site, host, port, **options)
    server = ControlServer(fleet, control_path) if control_path is not None else None
    fleet.start(wait_s=None)
    try:
        if server is not None:
            server.start()
        stop_event.wait()
    finally:
        if server is not None:
            server.stop()
        fleet.stop()
