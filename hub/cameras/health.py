"""A camera's health from one probe: `ok`, `degraded` with every reason, or `offline`. Pure.

What the camera reports of itself counts as much as its picture: a camera that records nothing, or whose
card is full, is degraded however good its picture, since the footage residents rely on is not being kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class Status(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    OFFLINE = "offline"
    MAINTENANCE = "maintenance"


# Reason code -> (Vietnamese, English), in the order a resident should read them: the most telling first.
REASONS: Final[dict[str, tuple[str, str]]] = {
    "unreachable": ("mất kết nối", "offline"),
    "timeout": ("không phản hồi", "not responding"),
    "black": ("hình quá tối", "picture black"),
    "covered": ("hình bị che khuất", "view covered"),
    "moved": ("camera bị lệch góc", "camera turned away"),
    "frozen": ("hình bị đứng", "picture frozen"),
    "blurred": ("hình bị mờ", "picture blurred"),
    "glare": ("hình bị chói", "glare, too bright"),
    "noisy": ("hình bị nhiễu", "picture too noisy"),
    "bad_image": ("hình ảnh lỗi", "broken picture"),
    "not_recording": ("không ghi hình", "not recording"),
    "storage_full": ("bộ nhớ đầy", "storage full"),
    "storage_low": ("bộ nhớ sắp đầy", "storage nearly full"),
    "slow": ("phản hồi chậm", "answering slowly"),
    "hot": ("quá nóng", "overheating"),
    "clock_drift": ("sai giờ", "clock is off"),
    "no_address": ("chưa cấu hình địa chỉ", "no address configured"),
}
OFFLINE_REASONS: Final = frozenset({"unreachable", "timeout", "no_address"})
STORAGE_FULL_PCT: Final = 1.0
STORAGE_LOW_PCT: Final = 10.0
HOT_C: Final = 75.0
DRIFT_MS: Final = 120_000


@dataclass(frozen=True, slots=True)
class Reading:
    """What the camera's health endpoint said (None: no endpoint, or the field was missing)."""

    recording: bool | None = None
    storage_free_pct: float | None = None
    temperature_c: float | None = None
    uptime_s: int | None = None
    time_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Health:
    status: Status
    reasons: tuple[str, ...] = ()
    since: dict[str, int] = field(default_factory=dict)  # reason -> when it began

    @property
    def vi(self) -> str:
        return describe(self, "vi")


def ordered(reasons: Iterable[str]) -> tuple[str, ...]:
    found = set(reasons)
    return tuple(code for code in REASONS if code in found)


def reading_reasons(reading: Reading, probe_ms: int) -> set[str]:
    out: set[str] = set()
    if reading.recording is False:
        out.add("not_recording")
    if reading.storage_free_pct is not None:
        if reading.storage_free_pct <= STORAGE_FULL_PCT:
            out.add("storage_full")
        elif reading.storage_free_pct < STORAGE_LOW_PCT:
            out.add("storage_low")
    if reading.temperature_c is not None and reading.temperature_c >= HOT_C:
        out.add("hot")
    if reading.time_ms is not None and abs(reading.time_ms - probe_ms) > DRIFT_MS:
        out.add("clock_drift")
    return out


def judge(reasons: Iterable[str], *, maintenance: bool = False) -> Status:
    found = set(reasons)
    if maintenance:
        return Status.MAINTENANCE
    if found & OFFLINE_REASONS:
        return Status.OFFLINE
    return Status.DEGRADED if found else Status.OK


def rebooted(previous: Reading | None, now: Reading) -> bool:
    """An uptime that went down is a restart (seen even when the camera was back before the next probe)."""
    if previous is None or previous.uptime_s is None or now.uptime_s is None:
        return False
    return now.uptime_s < previous.uptime_s


def describe(health: Health, language: str = "vi") -> str:
    """"hoạt động tốt", or the reasons joined the way people say them: "không ghi hình — bộ nhớ đầy"."""
    index = 0 if language == "vi" else 1
    if health.status == Status.OK:
        return "hoạt động tốt" if index == 0 else "working well"
    if health.status == Status.MAINTENANCE:
        return "đang bảo trì" if index == 0 else "under maintenance"
    return " — ".join(REASONS[r][index] for r in health.reasons)
