from __future__ import annotations

from pathlib import Path

import pytest
from argon2.profiles import CHEAPEST

from hub.runtime import Hub
from tests.hub.apphub import memory_hub
from tests.hub.sites import small_site


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its cheapest: these tests check behaviour, not hashing cost (~70 ms a hash otherwise)."""
    monkeypatch.setattr("hub.auth.passwords.PARAMETERS", CHEAPEST)


@pytest.fixture
def hub(tmp_path: Path, cheap_hashing: None) -> Hub:
    return memory_hub(tmp_path, small_site())
