"""Fault detectors over one light's reading, and the grouping of lights gone offline by power cabinet.
Pure: plain data in, verdicts out; the fault service (service.py) keeps the timers and the table.

Each detector answers True (the fault is there), False (it is not) or None (this reading cannot tell:
a lamp that is off cannot show it is burnt out).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

LEAK_W: Final = 3.0  # above the controller's standby draw (~0.5 W): the lamp is lit
DEAD_FRACTION: Final = 0.2  # a lamp drawing under a fifth of what its level asks is not lit
DEAD_MIN_W: Final = 1.5


class FaultKind(StrEnum):
    LAMP_FAILURE = "lamp_failure"  # on, but draws no power (bóng đèn hỏng)
    RELAY_FAULT = "relay_fault"  # off, but draws power (lỗi rơ-le)
    BURNING_BY_DAY = "burning_by_day"  # lit in daylight while its schedule says off (đèn sáng ban ngày)
    OFFLINE = "offline"  # one light lost (mất kết nối)
    POWER_LOSS = "power_loss"  # the lights of one power cabinet lost together (tủ điện mất điện)


TITLES: Final[dict[FaultKind, tuple[str, str]]] = {
    FaultKind.LAMP_FAILURE: ("Bóng đèn hỏng", "Lamp failure"),
    FaultKind.RELAY_FAULT: ("Lỗi rơ-le", "Relay fault"),
    FaultKind.BURNING_BY_DAY: ("Đèn sáng ban ngày", "Burning by day"),
    FaultKind.OFFLINE: ("Mất kết nối", "Offline"),
    FaultKind.POWER_LOSS: ("Tủ điện mất điện", "Power cabinet lost power"),
}


@dataclass(frozen=True, slots=True)
class Reading:
    level: int  # what the driver outputs (telemetry)
    power_w: float
    state: str | None = None  # ON / OFF as the light last reported
    mode: str | None = None  # schedule / override / manual


@dataclass(frozen=True, slots=True)
class Context:
    full_w: float  # the light's draw at 100% (learned, or its rating)
    scheduled_level: int | None  # what its schedule asks now; None: no schedule known
    daylight: bool


def lamp_failure(r: Reading, c: Context) -> bool | None:
    if r.level <= 0:
        return None
    return r.power_w < max(DEAD_MIN_W, DEAD_FRACTION * c.full_w * r.level / 100)


def relay_fault(r: Reading, c: Context) -> bool | None:
    # The driver's own output level says what the controller commands; its state message may lag.
    if r.level > 0:
        return None
    return r.power_w > LEAK_W


def burning_by_day(r: Reading, c: Context) -> bool | None:
    if not c.daylight or c.scheduled_level is None:
        return False
    if r.mode in ("override", "manual"):
        return False  # someone asked for it (a repair by day, a funeral): not a fault
    return c.scheduled_level == 0 and (r.level > 0 or r.power_w > LEAK_W)


DETECTORS: Final[dict[FaultKind, Callable[[Reading, Context], bool | None]]] = {
    FaultKind.LAMP_FAILURE: lamp_failure,
    FaultKind.RELAY_FAULT: relay_fault,
    FaultKind.BURNING_BY_DAY: burning_by_day,
}


def evaluate(r: Reading, c: Context) -> dict[FaultKind, bool | None]:
    return {kind: detect(r, c) for kind, detect in DETECTORS.items()}


def together_threshold(cabinet_size: int) -> int:
    """How many lights of a cabinet going offline together make a power loss: three, or half a small
    cabinet, and never one (one light alone is its own fault)."""
    return max(2, min(3, (cabinet_size + 1) // 2))


@dataclass(frozen=True, slots=True)
class OfflineVerdict:
    incidents: dict[str, list[str]]  # cabinet -> its lights, one power-loss incident each
    singles: list[str]  # lights offline on their own


def group_offline(
    pending: Mapping[str, int],
    cabinet_of: Mapping[str, str | None],
    cabinet_size: Mapping[str, int],
    now_ms: int,
    hold_ms: int,
) -> OfflineVerdict:
    """Decide the lights offline since `pending[device]` that have waited `hold_ms` (their cabinet's
    others may still be on their way: the broker notices each dead light up to 1.5 keepalives late)."""
    by_cabinet: dict[str | None, list[str]] = {}
    for device in sorted(pending):
        by_cabinet.setdefault(cabinet_of.get(device), []).append(device)
    incidents: dict[str, list[str]] = {}
    singles: list[str] = []
    for cabinet, devices in by_cabinet.items():
        ripe = [d for d in devices if now_ms - pending[d] >= hold_ms]
        if not ripe:
            continue
        if cabinet is not None and len(devices) >= together_threshold(cabinet_size.get(cabinet, 1)):
            incidents[cabinet] = devices
        else:
            singles.extend(ripe)
    return OfflineVerdict(incidents, singles)
