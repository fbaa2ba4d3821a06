"""A simulated security camera on MQTT: CameraLogic (pure) behind a SimDevice connection.

It publishes availability (its last will), telemetry, events and acks, never a retained `state`: that topic is
the hub's, which publishes there the health it probed (devices/camera.py). Its own word on its encoder
(recording, stream_ok) rides on telemetry, sent at once when it changes. Its picture and health endpoint are
served over HTTP by simulators/camera_http.py (`hamlet-sim cameras`, and `hamlet up`).

A reboot is a power cycle: the camera acks, drops off the network without a DISCONNECT (the broker publishes
its last will, as for a real camera that restarts), stays away `reboot_s`, then reconnects with its uptime
reset and announces a `reboot` event.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from devices.camera import CameraConfig, CameraSet
from devices.contract import Kind
from simulators.camera_logic import CAMERA_FAULTS, CameraLogic
from simulators.commands import NOTHING, Outcome
from simulators.device import SimDevice
from simulators.netloop import NetLoop

ACK_GRACE_S: Final = 0.2  # lets the ack reach the broker before the connection goes


class CameraSim(SimDevice):
    kind: ClassVar[Kind] = Kind.CAMERA
    kind_faults = CAMERA_FAULTS

    def __init__(self, site: str, device: str, net: NetLoop, host: str, port: int, *,
                 reboot_s: float = 3.0, **options: Any) -> None:
        super().__init__(site, device, net, host, port, **options)
        self.reboot_s = reboot_s
        self.logic = CameraLogic(booted_ms=self.clock(), storage_free_pct=round(self.rng.uniform(60, 95), 1))

    def state_fields(self) -> dict[str, object]:
        return self.logic.state_fields()  # never published as state (the hub owns it): part of telemetry

    def telemetry_fields(self, now: int) -> dict[str, object]:
        return {**self.logic.sample(now, self.rng), **self.logic.state_fields()}

    def apply(self, command: Any, now: int) -> Outcome:
        assert isinstance(command, CameraSet)
        outcome = self.logic.apply(command, now)
        if command.action == "reboot" and outcome.ok:
            self.link.later("reboot", ACK_GRACE_S, self._reboot)
        return outcome

    def configure(self, config: Any, now: int) -> Outcome:
        assert isinstance(config, CameraConfig)
        return self.logic.configure(config, now)

    def tick(self, now: int) -> Outcome:
        return NOTHING

    def next_deadline(self, now: int) -> int | None:
        return None

    def on_connected(self, now: int) -> Outcome:
        return self.logic.on_connected(now)

    def power_restored(self, now: int) -> Outcome:
        self.logic.boot(now)
        return NOTHING

    def _set_fault(self, fault: str | None, now: int) -> Outcome:
        return self.logic.set_fault(fault, now)

    def _reboot(self) -> None:
        self._set_power(False)
        self.link.later("boot", self.reboot_s, lambda: self._set_power(True))
