"""Helpers shared by the benchmarks: timing, percentiles and the one-line figure format."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def wait_for(check: Callable[[], bool], timeout: float, what: str, poll: float = 0.1) -> float:
    """Poll until `check()`; returns the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(poll)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def figure(name: str, value: float, unit: str, baseline: float | None = None, extra: str = "") -> str:
    ratio = f"  ratio {value / baseline:6.2f}" if baseline else ""
    return f"{name:<44} {value:>12,.1f} {unit:<8}{ratio}  {extra}".rstrip()
