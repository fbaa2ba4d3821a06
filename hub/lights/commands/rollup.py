"""A group command's roll-up in plain Vietnamese and English. Pure.

    "Ngõ 3: 11/12 đèn đã bật — đèn 7 không phản hồi"
    "Ngõ 3: 11/12 lights on — Đèn 7 not responding"

Counts say what the lights confirmed, never what the hub sent; the lights that did not follow are named
(three at most, then "và 2 đèn khác"), grouped by why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from hub.commands.counts import tally
from hub.commands.lifecycle import Status
from hub.commands.model import Label

MAX_NAMED: Final = 3

# Why a light is not (yet) confirmed, in the order the roll-up tells it.
_WHY: Final[tuple[tuple[frozenset[Status], str, str], ...]] = (
    (frozenset({Status.TIMED_OUT}), "không phản hồi", "not responding"),
    (frozenset({Status.FAILED}), "báo lỗi", "reported a fault"),
    (frozenset({Status.EXPIRED}), "mất kết nối, lệnh đã hết hạn", "offline, the command expired"),
    (frozenset({Status.QUEUED}), "đang chờ kết nối lại", "waiting to reconnect"),
    (frozenset({Status.SENT, Status.DELIVERED}), "đang chờ xác nhận", "waiting for confirmation"),
)


@dataclass(frozen=True, slots=True)
class Desired:
    on: bool
    brightness: int | None = None
    for_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class LightLine:
    device: str
    name: str
    status: Status


@dataclass(frozen=True, slots=True)
class Rollup:
    total: int
    counts: dict[str, int]
    done: bool  # every light settled: confirmed, failed, timed out or expired
    ok: bool  # every light confirmed
    vi: str
    en: str


def rollup(label: Label, desired: Desired, lights: Sequence[LightLine]) -> Rollup:
    counts = tally(line.status for line in lights)
    confirmed, total = counts.confirmed, counts.total
    verb_vi, verb_en = _verbs(desired)
    clauses = [_clause(lights, statuses, vi, en) for statuses, vi, en in _WHY]
    told = [c for c in clauses if c is not None]
    if total == 1 and told:  # one light: say what it did, without counting
        vi, en = f"{label.vi}: {told[0][2]}", f"{label.en}: {told[0][3]}"
    elif total == 1:
        vi, en = f"{label.vi}: {verb_vi}", f"{label.en}: {verb_en}"
    else:
        vi = f"{label.vi}: {confirmed}/{total} đèn {verb_vi}"
        en = f"{label.en}: {confirmed}/{total} lights {verb_en}"
        if told:
            vi += " — " + "; ".join(c[0] for c in told)
            en += " — " + "; ".join(c[1] for c in told)
    return Rollup(total, counts.counts, counts.done, counts.ok, vi, en)


def _verbs(desired: Desired) -> tuple[str, str]:
    if not desired.on:
        vi, en = "đã tắt", "off"
    elif desired.brightness is None or desired.brightness == 100:
        vi, en = "đã bật", "on"
    else:
        vi, en = f"đã bật {desired.brightness}%", f"on at {desired.brightness}%"
    if desired.for_minutes:
        span_vi, span_en = duration(desired.for_minutes)
        vi, en = f"{vi} trong {span_vi}", f"{en} for {span_en}"
    return vi, en


def duration(minutes: int) -> tuple[str, str]:
    """'2 giờ' / '2 h', '1 giờ 30 phút' / '1 h 30 min', '45 phút' / '45 min'."""
    hours, rest = divmod(minutes, 60)
    vi = " ".join(p for p in (f"{hours} giờ" if hours else "", f"{rest} phút" if rest else "") if p)
    en = " ".join(p for p in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if p)
    return vi, en


def _clause(
    lights: Sequence[LightLine], statuses: frozenset[Status], why_vi: str, why_en: str
) -> tuple[str, str, str, str] | None:
    """(vi clause, en clause, vi reason, en reason) for the lights in `statuses`, or None if none is."""
    names = [line.name for line in lights if line.status in statuses]
    if not names:
        return None
    shown, more = names[:MAX_NAMED], len(names) - MAX_NAMED
    vi_names = ", ".join(_lower_noun(n) for n in shown)
    en_names = ", ".join(shown)
    if more > 0:
        vi_names += f" và {more} đèn khác"
        en_names += f" and {more} more"
    return f"{vi_names} {why_vi}", f"{en_names} {why_en}", why_vi, why_en


def _lower_noun(name: str) -> str:
    # Mid-sentence Vietnamese writes the common noun in lower case: "Đèn 7" reads "đèn 7" after a dash.
    return "đèn" + name[3:] if name.startswith("Đèn") else name
