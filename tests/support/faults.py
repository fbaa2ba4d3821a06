"""Shared pieces of the fault tests (tests/integration/test_faults_*.py): sizes, the printed figure, waits.

`make test` runs every fault at a size that fits a couple of minutes; `make soak` sets HAMLET_SOAK=1 and
the same tests run longer: more kills, longer outages, more messages.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from tests.support.ledger import Ledger, Row, Verdict, check

T = TypeVar("T")
SOAK = os.environ.get("HAMLET_SOAK", "") not in ("", "0")


def sized(quick: T, soak: T) -> T:
    """The test's size under `make test` or under `make soak`."""
    return soak if SOAK else quick


def report(capsys: pytest.CaptureFixture[str], what: str, verdict: Verdict) -> None:
    """Print the figure past pytest's capture, so `make test` shows every "n of N lost" line."""
    with capsys.disabled():
        print(f"\n[ledger] {what}: {verdict} (stored {verdict.stored:,})", flush=True)


def settle(ledger: Ledger, rows: Callable[[], list[Row]], timeout: float) -> Verdict:
    """Poll the store until nothing acknowledged is missing or `timeout` passed; the verdict either way,
    so the test prints its figure before it asserts."""
    deadline = time.monotonic() + timeout
    verdict = check(ledger, rows())
    while verdict.lost and time.monotonic() < deadline:
        time.sleep(0.5)
        verdict = check(ledger, rows())
    return verdict
