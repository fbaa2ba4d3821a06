"""The writer: drains the outbox into the telemetry store; rows go only after the store confirmed them.

A store that is down is retried with a capped backoff for as long as it takes: the outbox is the buffer,
so nothing is dropped however long the outage (unlike influxdb-client's batching writer, which gives up).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from hub.ingest.outbox import DeadLetter, Outbox
from hub.metrics import HubMetrics
from hub.storage.base import Point, StoreUnavailable, TelemetryStore

log = logging.getLogger(__name__)



@runtime_checkable
class OutboxCopier(Protocol):
    """A store that can take a batch straight from the outbox file (the embedded SQLite store)."""

    def copy_from_outbox(self, outbox: Path, last_id: int) -> None: ...


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
        if isinstance(self._store, OutboxCopier):
            copied = self._copy(self._store)
            if copied is not None:
                return copied
        last_id, points = self._outbox.take(self._batch)
        if not points:
            return 0
        try:
            self._store.write(points)
        except ValueError:
            # A point no store can keep (the models should have refused it) must not block the rest.
            points = self._quarantine(points)
        self._outbox.delete_upto(last_id)
        self._metrics.points_written.add(len(points))
        return len(points)

    def _copy(self, store: OutboxCopier) -> int | None:
        """The fast path; None when the batch needs the point-by-point path (a row the store refused)."""
        last_id, count = self._outbox.batch_end(self._batch)
        if count == 0:
            return 0
        try:
            store.copy_from_outbox(self._outbox.path, last_id)
        except sqlite3.Error:
            return None
        self._outbox.delete_upto(last_id)
        self._metrics.points_written.add(count)
        return count

    def _quarantine(self, points: Sequence[Point]) -> list[Point]:
        """Write point by point; dead-letter the ones the store refuses as invalid. Returns those written."""
        good: list[Point] = []
        for point in points:
            try:
                self._store.write([point])
            except ValueError as exc:
                self._outbox.commit([], [_dead(point, str(exc))])
                self._metrics.rejected.add(1, "unstorable")
                continue
            good.append(point)
        return good

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


def _dead(point: Point, reason: str) -> DeadLetter:
    payload = json.dumps({"ts": point.ts_ms, **point.fields}, default=str).encode()
    return DeadLetter(point.ts_ms, f"{point.measurement}/{point.device}", payload, "unstorable", reason)
