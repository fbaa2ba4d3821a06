from __future__ import annotations

from collections.abc import Iterator

import pytest

from devices.contract import ingest_filters
from simulators.netloop import NetLoop
from tests.simulators.probe import Probe
from tests.support.mosquitto import Mosquitto

SITE = "test-khu"


@pytest.fixture
def net() -> Iterator[NetLoop]:
    loop = NetLoop("test-netloop")
    loop.start()
    yield loop
    loop.stop()


@pytest.fixture
def probe(mosquitto: Mosquitto) -> Iterator[Probe]:
    """Subscribed to every device -> hub channel of SITE before any device starts."""
    with Probe(mosquitto.host, mosquitto.port, ingest_filters(SITE)) as subscriber:
        yield subscriber
