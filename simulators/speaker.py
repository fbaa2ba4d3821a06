"""A simulated loudspeaker: SpeakerLogic (pure) behind a SimDevice connection."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from devices.contract import Kind
from devices.speaker import SpeakerConfig, SpeakerSet
from simulators.commands import Outcome
from simulators.device import SimDevice
from simulators.netloop import NetLoop
from simulators.speaker_logic import SPEAKER_FAULTS, SpeakerLogic


class SpeakerSim(SimDevice):
    kind: ClassVar[Kind] = Kind.SPEAKER
    kind_faults = SPEAKER_FAULTS

    def __init__(self, site: str, device: str, net: NetLoop, host: str, port: int, *,
                 play_s: float = 5.0, **options: Any) -> None:
        super().__init__(site, device, net, host, port, **options)
        self.logic = SpeakerLogic(play_ms=round(play_s * 1000))
        self._booted = time.monotonic()

    def state_fields(self) -> dict[str, object]:
        return self.logic.state_fields()

    def telemetry_fields(self, now: int) -> dict[str, object]:
        return self.logic.sample(now, int(time.monotonic() - self._booted), self.rng)

    def apply(self, command: Any, now: int) -> Outcome:
        assert isinstance(command, SpeakerSet)
        return self.logic.apply(command, now)

    def configure(self, config: Any, now: int) -> Outcome:
        assert isinstance(config, SpeakerConfig)
        return self.logic.configure(config, now)

    def tick(self, now: int) -> Outcome:
        return self.logic.tick(now)

    def next_deadline(self, now: int) -> int | None:
        return self.logic.next_deadline(now)

    def _set_fault(self, fault: str | None, now: int) -> Outcome:
        return self.logic.set_fault(fault, now)
