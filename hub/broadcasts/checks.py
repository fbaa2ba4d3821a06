"""What is checked before a bulletin is saved: its targets exist, it keeps out of quiet hours (normal ones),
and it does not clash on a shared speaker with a bulletin it does not outrank. The errors say what is wrong
in Vietnamese first; the API turns them into 422 (naming the field) and 409 (naming the other bulletin)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from devices.contract import Kind
from devices.site import Site
from hub.broadcasts.model import Bulletin
from hub.broadcasts.plan import Clash, QuietHours, clashes, expand, quiet_breaches

HORIZON_MS: Final = 366 * 86_400_000  # clashes and quiet hours are checked this far ahead (a lunar year and more)
PAST_MS: Final = 15 * 60_000  # what may still start or resume


class BulletinError(ValueError):
    """422: a body that cannot be scheduled; `field` names the part that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ClashError(Exception):
    """409: an overlap on a shared speaker with a bulletin the new one does not outrank."""

    def __init__(self, clash: Clash, tz: ZoneInfo) -> None:
        at = datetime.fromtimestamp(clash.at_ms / 1000, tz).strftime("%H:%M %d/%m/%Y")
        super().__init__(f"Trùng lịch với bản tin “{clash.other.title}” ({clash.other.id}) lúc {at} trên loa "
                         f"{clash.speaker} — clashes with bulletin “{clash.other.title}” at {at} on {clash.speaker}")
        self.clash = clash


def resolve_targets(site: Site, targets: Iterable[str], strict: bool = True) -> frozenset[str]:
    """The speakers of "all", zones and speaker ids; BulletinError for one that names nothing (if strict)."""
    speakers = [d for d in site.devices if d.kind == Kind.SPEAKER]
    found: set[str] = set()
    for target in targets:
        hits = [d.id for d in speakers if target in ("all", d.id, d.group)]
        if not hits and strict:
            raise BulletinError("targets", f"{target!r} không phải 'all', một vùng hay một loa — is not 'all', "
                                "a loudspeaker zone or a speaker of the site")
        found.update(hits)
    return frozenset(found)


def check(bulletin: Bulletin, targets: Mapping[str, frozenset[str]], existing: Sequence[Bulletin],
          quiet: QuietHours, tz: ZoneInfo, now_ms: int) -> None:
    """Raise BulletinError (quiet hours) or ClashError (the earliest clash) over the coming year."""
    start, end = now_ms - PAST_MS, now_ms + HORIZON_MS
    night = quiet_breaches(expand([bulletin], start, end, tz), quiet, tz)
    if night:
        at = datetime.fromtimestamp(night[0].start_ms / 1000, tz).strftime("%H:%M %d/%m/%Y")
        raise BulletinError("priority", f"{at} rơi vào giờ yên tĩnh ({quiet.start}–{quiet.end}): chỉ bản tin ưu tiên "
                            f"hoặc khẩn cấp — {at} is in quiet hours ({quiet.start}-{quiet.end}): normal bulletins "
                            "may not sound then")
    found = clashes(bulletin, targets, existing, start, end, tz)
    if found:
        raise ClashError(found[0], tz)
