"""A simulated street light: LightLogic (pure) behind a SimDevice connection; fed by a power cabinet, it can
lose its mains (Fleet.set_cabinet_power), and it runs its retained schedule on its own clock."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.contract import Kind
from devices.light import LightConfig, LightSet
from simulators.commands import Outcome
from simulators.device import SimDevice
from simulators.light_logic import LIGHT_FAULTS, LightLogic
from simulators.netloop import NetLoop


class LightSim(SimDevice):
    kind: ClassVar[Kind] = Kind.LIGHT
    kind_faults = LIGHT_FAULTS

    def __init__(self, site: str, device: str, net: NetLoop, host: str, port: int, *,
                 rated_w: float = 40.0, **options: Any) -> None:
        super().__init__(site, device, net, host, port, **options)
        self.logic = LightLogic(rated_w=rated_w)

    def state_fields(self) -> dict[str, object]:
        return self.logic.state_fields()

    def telemetry_fields(self, now: int) -> dict[str, object]:
        return self.logic.sample(now, self.rng)

    def apply(self, command: Any, now: int) -> Outcome:
        assert isinstance(command, LightSet)
        return self.logic.apply(command, now)

    def configure(self, config: Any, now: int) -> Outcome:
        assert isinstance(config, LightConfig)
        return self.logic.configure(config, now)

    def tick(self, now: int) -> Outcome:
        return self.logic.tick(now)

    def next_deadline(self, now: int) -> int | None:
        return self.logic.next_deadline(now)

    def power_lost(self, now: int) -> Outcome:
        return self.logic.power_lost(now)

    def power_restored(self, now: int) -> Outcome:
        return self.logic.power_restored(now)

    def _set_fault(self, fault: str | None, now: int) -> Outcome:
        return self.logic.set_fault(fault, now)
