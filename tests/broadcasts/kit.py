"""Plain bulletins for the pure tests: local times in the site's zone, short ids."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.broadcasts.model import Bulletin

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SHA = "a" * 64


def ms(day: date, hhmm: str, seconds: int = 0) -> int:
    h, m = (int(x) for x in hhmm.split(":"))
    return int(datetime(day.year, day.month, day.day, h, m, seconds, tzinfo=TZ).timestamp() * 1000)


def bulletin(id: str, *, at: tuple[date, str] | None = None, times: list[str] | None = None,
             duration_s: int = 60, created: int = 0, **fields: Any) -> Bulletin:
    when: dict[str, Any] = {"times": times} if times else {
        "once_at": datetime.fromtimestamp(ms(*at) / 1000, TZ) if at else None}
    body: dict[str, Any] = {"title": f"Bản tin {id}", "sha256": SHA, "repeat": 1, "gap_s": 0, **when, **fields}
    return Bulletin(id=id, media_sha256=body["sha256"] or SHA, duration_ms=duration_s * 1000, created_ms=created,
                    updated_ms=created, **body)
