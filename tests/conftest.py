from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bus.memory import MemoryBroker
from hub.runtime import Hub
from tests.hub.apphub import memory_hub
from tests.hub.sites import small_site
from tests.support.mosquitto import Mosquitto, start_mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = start_mosquitto(tmp_path / "mosquitto")
    yield broker
    broker.stop()


# The API tests' common ground: a hub for the small test site on an in-memory broker, and a client of its
# app (the app's lifespan starts and stops the hub). Test modules override `hub` or `client` as they need.
@pytest.fixture
def broker() -> MemoryBroker:
    return MemoryBroker()


@pytest.fixture
def hub(tmp_path: Path, broker: MemoryBroker) -> Hub:
    return memory_hub(tmp_path, small_site(), broker)


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: hub)) as c:
        yield c
