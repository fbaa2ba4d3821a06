"""A hub on the in-memory bus and real SQLite files, for fast API tests (no broker process)."""

from __future__ import annotations

from pathlib import Path

from devices.site import Site
from hub.bus.memory import MemoryBroker
from hub.ingest.outbox import Outbox
from hub.runtime import Hub
from hub.settings import load_settings
from hub.storage.sqlite_store import SQLiteStore


def memory_hub(tmp: Path, site: Site, broker: MemoryBroker | None = None) -> Hub:
    settings = load_settings({}, data_dir=tmp, simulate=False)
    bus = (broker or MemoryBroker()).client()
    return Hub(settings, site, bus, SQLiteStore(tmp / "telemetry.sqlite3"), Outbox(tmp / "outbox.sqlite3"))
