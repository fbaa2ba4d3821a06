"""Simulator classes by device kind, like devices/kinds.py: a new kind is one module plus one entry here."""

from __future__ import annotations

from typing import Final

from devices.contract import Kind
from simulators.device import SimDevice
from simulators.light import LightSim
from simulators.speaker import SpeakerSim

# Cameras come later: their slot is here so a fleet knows to skip them rather than fail.
SIMULATORS: Final[dict[Kind, type[SimDevice] | None]] = {
    Kind.LIGHT: LightSim,
    Kind.SPEAKER: SpeakerSim,
    Kind.CAMERA: None,
}


def simulated_kinds() -> tuple[Kind, ...]:
    return tuple(kind for kind, cls in SIMULATORS.items() if cls is not None)


def fault_catalogue() -> dict[Kind, dict[str, str]]:
    """Every fault name a technician can inject, with what it does, per simulated kind."""
    return {kind: cls.faults() for kind, cls in SIMULATORS.items() if cls is not None}
