"""The retained config a light keeps its schedule by, and whether each light runs the one it was sent.
Pure: building a config, the window it covers, and the comparison with what the lights report."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from devices.light import LightConfig, ScheduleStep
from hub.lights.schedules.tables import Pushed
from hub.scheduling.sun import Place, local_days

PUSH_DAYS = 7
MAX_STEPS = 512  # LightConfig's limit; a week of even a busy schedule is a few dozen steps


def push_window(now_ms: int, place: Place, days: int = PUSH_DAYS) -> tuple[datetime, datetime]:
    """From local midnight today to the end of the `days`-th day after: the same all day, so a re-push
    on the same day sends the same config (same version) and a light that has it is not disturbed."""
    return local_days(now_ms, place, days)


def light_config(steps: Sequence[tuple[int, int]]) -> LightConfig:
    """A config whose version is a checksum of its steps: equal timelines, equal versions."""
    kept = list(steps)[:MAX_STEPS]
    version = zlib.crc32(json.dumps(kept).encode()) & 0x7FFFFFFF
    return LightConfig(version=version, steps=[ScheduleStep(at=at, brightness=b) for at, b in kept])


@dataclass(frozen=True, slots=True)
class ConfigStatus:
    device: str
    expected: int | None  # the version last pushed; None: never pushed
    reported: int | None  # the version in the light's state; None: it has not said
    pushed_ms: int | None
    in_sync: bool


def compare(
    devices: Sequence[str], pushed: Mapping[str, Pushed], reported: Mapping[str, int | None]
) -> list[ConfigStatus]:
    out = []
    for device in devices:
        p = pushed.get(device)
        expected = p.version if p is not None else None
        got = reported.get(device)
        in_sync = expected is not None and got == expected
        out.append(ConfigStatus(device, expected, got, p.pushed_ms if p else None, in_sync))
    return out
