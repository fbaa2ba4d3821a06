"""Telemetry points shaped like the hub's, for the store tests."""

from __future__ import annotations

import time

from hub.storage.base import Point

SITE = "sonvi-khu10"


def now_ms() -> int:
    # Whole seconds, a little in the past: VictoriaMetrics refuses samples from the future.
    return (int(time.time()) - 3600) * 1000


def light_points(
    device: str, start_ms: int, count: int, step_ms: int = 1000, group: str = "road-1"
) -> list[Point]:
    return [
        Point(
            "light",
            SITE,
            device,
            group,
            start_ms + i * step_ms,
            {"seq": i, "brightness": i % 101, "power_w": 10.0 + i, "on": i % 2 == 0},
            i,
        )
        for i in range(count)
    ]
