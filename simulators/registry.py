"""Simulator classes by device kind, like devices/kinds.py: a new kind is one module plus one entry here."""

from __future__ import annotations

from typing import Final

from devices.contract import Kind
from simulators.camera import CameraSim
from simulators.device import SimDevice
from simulators.light import LightSim
from simulators.speaker import SpeakerSim

# A kind missing here is skipped by a fleet (and said so) rather than failing it.
SIMULATORS: Final[dict[Kind, type[SimDevice]]] = {
    Kind.LIGHT: LightSim,
    Kind.SPEAKER: SpeakerSim,
    Kind.CAMERA: CameraSim,
}


def simulated_kinds() -> tuple[Kind, ...]:
    return tuple(SIMULATORS)


def fault_catalogue() -> dict[Kind, dict[str, str]]:
    """Every fault name a technician can inject, with what it does, per simulated kind."""
    return {kind: cls.faults() for kind, cls in SIMULATORS.items()}
