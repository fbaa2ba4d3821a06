"""The broadcasts service as the runtime builds it from settings: quiet hours and the media address."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.broadcasts.plan import QuietHours
from hub.broadcasts.service import Broadcasts
from hub.broadcasts.spec import media_url
from hub.bus.memory import MemoryBroker
from hub.ingest.outbox import Outbox
from hub.runtime import Hub
from hub.settings import SettingsError, load_settings
from hub.storage.sqlite_store import SQLiteStore
from tests.broadcasts.rig import speaker_site


def built(tmp: Path, env: dict[str, str]) -> Broadcasts:
    settings = load_settings(env, data_dir=tmp, simulate=False)
    hub = Hub(settings, speaker_site(), MemoryBroker().client(), SQLiteStore(tmp / "t.sqlite3"),
              Outbox(tmp / "o.sqlite3"))
    service = hub.services["broadcasts"]
    assert isinstance(service, Broadcasts)
    hub.state.close()
    hub.outbox.close()
    hub.store.close()
    return service


def test_quiet_hours_and_media_url_from_settings(tmp_path: Path) -> None:
    service = built(tmp_path, {"HAMLET_BROADCASTS_QUIET_START": "21:00", "HAMLET_BROADCASTS_QUIET_END": "05:00",
                               "HAMLET_BROADCASTS_MEDIA_URL": "http://10.0.0.1:8080/media/"})
    assert service.options.quiet == QuietHours("21:00", "05:00")
    assert service.options.media_base_url == "http://10.0.0.1:8080/media"


def test_defaults_use_the_hubs_own_address(tmp_path: Path) -> None:
    service = built(tmp_path, {"HAMLET_HTTP_HOST": "0.0.0.0", "HAMLET_HTTP_PORT": "8123"})
    assert service.options.media_base_url == "http://127.0.0.1:8123/media"
    assert service.options.quiet == QuietHours("22:00", "05:30")
    assert media_url("192.168.1.5", 80) == "http://192.168.1.5:80/media"


def test_a_wrong_quiet_hour_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="HAMLET_BROADCASTS_QUIET_START"):
        load_settings({"HAMLET_BROADCASTS_QUIET_START": "25:00"}, data_dir=tmp_path)
