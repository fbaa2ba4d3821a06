"""Waiting for something that happens on another thread or process, with a deadline that names it."""

from __future__ import annotations

import time
from collections.abc import Callable


def eventually(check: Callable[[], bool], timeout: float = 15.0, what: str = "the condition") -> None:
    """Poll `check` until it holds; AssertionError naming `what` once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.02)
