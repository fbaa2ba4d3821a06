"""A hub on the in-memory bus and real SQLite files, for fast API tests (no broker process)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from devices.site import Site
from hub.bus.memory import MemoryBroker
from hub.ingest.outbox import Outbox
from hub.router import QUEUE_BOUND
from hub.runtime import SERVICES, Hub
from hub.service import ServiceSpec
from hub.settings import load_settings
from hub.storage.sqlite_store import SQLiteStore
from hub.timeutil import now_ms


def memory_hub(tmp: Path, site: Site, broker: MemoryBroker | None = None, *, clock: Callable[[], int] = now_ms,
               options: Mapping[str, object] | None = None, services: Sequence[ServiceSpec] = SERVICES,
               queue_bound: int = QUEUE_BOUND) -> Hub:
    """Built, not started. `clock`, `options` (per service name) and `services` go to the composition root."""
    settings = load_settings({}, data_dir=tmp, simulate=False)
    bus = (broker or MemoryBroker()).client()
    return Hub(settings, site, bus, SQLiteStore(tmp / "telemetry.sqlite3"), Outbox(tmp / "outbox.sqlite3"),
               clock=clock, options=options, services=services, queue_bound=queue_bound)
