from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.influxd import InfluxD, start_influxd


@pytest.fixture
def influxd(tmp_path: Path) -> Iterator[InfluxD]:
    server = start_influxd(tmp_path / "influxd")
    yield server
    server.stop()
