"""The writer: drains the outbox into the telemetry store; rows go only after the store confirmed them.

A store that is down is retried with a capped backoff for as long as it takes: the outbox is the buffer,
so nothing is dropped however long the outage (unlike influxdb-client's batching writer, which gives up).
"""

from __future__ import annotations

import logging
import threading

from hub.ingest.outbox import Outbox
from hub.metrics import HubMetrics
from hub.storage.base import StoreUnavailable, TelemetryStore

log = logging.getLogger(__name__)

MIN_BACKOFF_S = 0.5
MAX_BACKOFF_S = 15.0


class Writer:
    def __init__(self, outbox: Outbox, store: TelemetryStore, metrics: HubMetrics, batch: int = 5000) -> None:
        self._outbox = outbox
        self._store = store
        self._metrics = metrics
        self._batch = batch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"writer-{store.name}", daemon=True)
        self.store_ok = True

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def drain_once(self) -> int:
        """Write one batch; returns how many points the store confirmed (raises StoreUnavailable)."""
        last_id, points = self._outbox.take(self._batch)
        if not points:
            return 0
        self._store.write(points)
        self._outbox.delete_upto(last_id)
        self._metrics.points_written.add(len(points))
        return len(points)

    def _run(self) -> None:
        backoff = MIN_BACKOFF_S
        while not self._stop.is_set():
            try:
                written = self.drain_once()
            except StoreUnavailable as exc:
                self._failed(exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            except Exception:
                log.exception("writer %s failed; retrying", self._store.name)
                self._metrics.store_write_errors.add()
                self._stop.wait(backoff)
                continue
            backoff = MIN_BACKOFF_S
            if not self.store_ok:
                log.info("store %s is back; draining the outbox", self._store.name)
            self.store_ok = True
            if written < self._batch:
                self._wake.wait(0.2)
                self._wake.clear()

    def _failed(self, exc: StoreUnavailable, backoff: float) -> None:
        self._metrics.store_write_errors.add()
        if self.store_ok:
            log.warning("store %s unavailable (%s); keeping points in the outbox", self._store.name, exc)
        self.store_ok = False
