"""Telemetry payloads for the load generator: valid ones from the contract's models, and invalid ones."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final

from devices.camera import CameraTelemetry
from devices.contract import Kind
from devices.light import LightTelemetry
from devices.speaker import SpeakerTelemetry

Payload = Callable[[int, int, random.Random], str]

# Each breaks the contract differently, so a hub's dead-letter table shows every kind of reason.
INVALID: Final[tuple[bytes, ...]] = (
    b"not json {",
    b"[1, 2, 3]",
    b'{"ts": -5, "seq": 0}',
    b'{"ts": 1700000000000, "seq": "seven"}',
    b'{"ts": 1700000000000, "seq": 1, "power_w": -1.0, "voltage_v": 221.0, "energy_wh": 0.0, "level": 50}',
    b'{"ts": 1700000000000, "seq": 2, "bogus": true}',
)


def _light(ts: int, seq: int, rng: random.Random) -> str:
    return LightTelemetry(ts=ts, seq=seq, power_w=round(44.9 * rng.uniform(0.98, 1.02), 2),
                          voltage_v=round(220.0 + rng.gauss(0, 1.5), 1), energy_wh=round(seq * 0.0125, 4),
                          level=100).model_dump_json()


def _speaker(ts: int, seq: int, rng: random.Random) -> str:
    return SpeakerTelemetry(ts=ts, seq=seq, volume=70, amp_temp_c=round(35.0 + rng.gauss(0, 0.5), 1),
                            signal_dbm=round(-67.0 + rng.gauss(0, 2), 1), uptime_s=seq, playing=False,
                            ).model_dump_json()


def _camera(ts: int, seq: int, rng: random.Random) -> str:
    return CameraTelemetry(ts=ts, seq=seq, fps=round(25.0 + rng.gauss(0, 0.3), 2), bitrate_kbps=2048.0,
                           uptime_s=seq, temperature_c=round(41.0 + rng.gauss(0, 0.5), 1),
                           storage_free_pct=63.5).model_dump_json()


PAYLOADS: Final[dict[Kind, Payload]] = {Kind.LIGHT: _light, Kind.SPEAKER: _speaker, Kind.CAMERA: _camera}


def telemetry_payload(kind: Kind | str) -> Payload:
    return PAYLOADS[Kind(kind)]
