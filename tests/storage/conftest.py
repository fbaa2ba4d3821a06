"""Real-service fixtures for the storage tests; other packages can import `start_influxd` and
`start_victoria` from tests.support directly, or these fixtures from here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.influxd import InfluxD, start_influxd
from tests.support.victoria import Victoria, start_victoria


@pytest.fixture
def influxd(tmp_path: Path) -> Iterator[InfluxD]:
    server = start_influxd(tmp_path / "influxd")
    yield server
    server.stop()


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[Victoria]:
    server = start_victoria(tmp_path / "victoria")
    yield server
    server.stop()
