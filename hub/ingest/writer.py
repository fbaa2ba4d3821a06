"""The writer: drains the outbox into the telemetry store; rows go only after the store confirmed them.

A store that is down is retried with a capped backoff for as long as it takes: the outbox is the buffer,
so nothing is dropped however long the outage (unlike influxdb-client's batching writer, which gives up).

The writer thread also keeps the bridge's vitals fresh for /healthz, which only reads them: every few
seconds it pings the store when nothing was written meanwhile (so a store that died while the hamlet was
quiet is noticed), samples the free space of the data directory, and prunes expired dead letters.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from hub.ingest.outbox import DeadLetter, Outbox
from hub.metrics import HubMetrics
from hub.storage.base import Point, StoreUnavailable, TelemetryStore
from hub.timeutil import now_ms

log = logging.getLogger(__name__)


def _free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


@dataclass(frozen=True, slots=True)
class Housekeeping:
    every_s: float = 5.0  # store ping (when idle) and disk sample
    min_free_bytes: int = 200 * 1024 * 1024  # below this in the data directory, /healthz says degraded
    prune_every_s: float = 60.0  # dead letters past their retention


@dataclass(slots=True)
class Vitals:
    """Plain values the writer thread refreshes and /healthz reads (no I/O on the request path)."""

    store_ok: bool = True
    store_detail: str = "ok"
    disk_free_bytes: int = -1  # -1: not sampled yet
    disk_low: bool = False



@runtime_checkable
class OutboxCopier(Protocol):
    """A store that can take a batch straight from the outbox file (the embedded SQLite store)."""

    def copy_from_outbox(self, outbox: Path, last_id: int) -> None: ...


@runtime_checkable
class Pipelined(Protocol):
    """A store whose writes may overlap (a connection per request, keyed points) and that encodes a batch
    apart from sending it (InfluxDB): the writer keeps a few batches in flight during a backlog."""

    def encode(self, points: Sequence[Point]) -> bytes: ...

    def write_encoded(self, body: bytes) -> None:
        """Raises StoreUnavailable, or ValueError when the data itself is refused (as `write`)."""


MIN_BACKOFF_S = 0.5
IN_FLIGHT = 2  # batches the store works on at once during a backlog (see Writer._pipeline)
PIPELINE_ROUNDS = 8
MAX_BACKOFF_S = 15.0


class Writer:
    def __init__(
        self,
        outbox: Outbox,
        store: TelemetryStore,
        metrics: HubMetrics,
        batch: int = 5000,
        housekeeping: Housekeeping = Housekeeping(),
        clock: Callable[[], int] = now_ms,
        free_bytes: Callable[[Path], int] = _free_bytes,
    ) -> None:
        self._outbox = outbox
        self._store = store
        self._metrics = metrics
        self._batch = batch
        self._house = housekeeping
        self._clock = clock
        self._free_bytes = free_bytes
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"writer-{store.name}", daemon=True)
        pipelined = isinstance(store, Pipelined)
        self._pool = ThreadPoolExecutor(IN_FLIGHT, f"writer-{store.name}-post") if pipelined else None
        self.vitals = Vitals()
        self._answered_at = time.monotonic()  # when the store last answered (a write or a ping)
        self._checked_at = float("-inf")
        self._pruned_at = float("-inf")
        self._write_failing = False  # a store may answer pings and still refuse writes: that is not ok

    @property
    def store_ok(self) -> bool:
        return self.vitals.store_ok

    @store_ok.setter
    def store_ok(self, ok: bool) -> None:
        self.vitals.store_ok = ok

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def drain_once(self) -> int:
        """Write one batch; returns how many points the store confirmed (raises StoreUnavailable)."""
        try:
            written = self._drain()
        except StoreUnavailable as exc:
            self._write_failing = True
            self.vitals.store_ok, self.vitals.store_detail = False, f"write failed: {exc}"[:300]
            raise
        if written:
            self._answered_at = time.monotonic()
            self._write_failing = False
            self.vitals.store_ok, self.vitals.store_detail = True, "ok"
        return written

    def _drain(self) -> int:
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
        written = self._confirmed(last_id, points)
        if written == self._batch and self._pool is not None:
            written += self._pipeline(last_id)
        return written

    def _confirmed(self, last_id: int, points: Sequence[Point] | int) -> int:
        count = points if isinstance(points, int) else len(points)
        self._outbox.delete_upto(last_id)
        self._metrics.points_written.add(count)
        return count

    def _pipeline(self, after: int) -> int:
        """The rest of a backlog, once the store took a batch, into a store that takes concurrent writes
        (influxd): up to IN_FLIGHT batches are written at once, and the next is read and encoded while the
        store works, PIPELINE_ROUNDS batches per call (so housekeeping still runs). Written one by one, the
        writer sat idle for every answer and fell behind the bridge. A batch in flight holds its request body,
        not its points (a refused one is read again from the outbox). Rows are still deleted in order, and
        only up to a batch the store confirmed along with every batch before it; on a failure the batches
        still in flight are waited for and everything from the failed one on stays in the outbox."""
        store, pool = self._store, self._pool
        assert isinstance(store, Pipelined) and pool is not None
        flight: deque[tuple[int, int, int, Future[None]]] = deque()  # (id before, last id, count, answer)
        taken, written, more = 0, 0, True
        try:
            while True:
                while more and len(flight) < IN_FLIGHT and taken < PIPELINE_ROUNDS:
                    before = flight[-1][1] if flight else after
                    last_id, points = self._outbox.take(self._batch, after=before)
                    more = len(points) == self._batch
                    if points:
                        taken += 1
                        body = store.encode(points)
                        flight.append((before, last_id, len(points), pool.submit(store.write_encoded, body)))
                    del points
                if not flight:
                    return written
                before, last_id, count, answer = flight[0]
                try:
                    answer.result()
                    confirmed: Sequence[Point] | int = count
                except ValueError:
                    confirmed = self._quarantine(self._outbox.take(count, after=before)[1])
                flight.popleft()
                written += self._confirmed(last_id, confirmed)
        finally:
            for *_, answer in flight:  # after a failure: let the others land or fail before a retry
                answer.exception()

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

    def check_vitals(self) -> None:
        """Ping the store if it has not answered within the interval, sample the disk, prune expired dead
        letters when due. Runs on the writer thread every few seconds; tests call it directly."""
        now = time.monotonic()
        self._checked_at = now
        if now - self._answered_at >= self._house.every_s:
            self._ping()
        try:
            free = self._free_bytes(self._outbox.path.parent)
        except OSError as exc:
            log.warning("cannot read the free space of %s: %s", self._outbox.path.parent, exc)
        else:
            self.vitals.disk_free_bytes = free
            self.vitals.disk_low = free < self._house.min_free_bytes
        if now - self._pruned_at >= self._house.prune_every_s:
            self._pruned_at = now
            self._metrics.dead_letters_pruned.add(self._outbox.prune_dead_letters(self._clock()))

    def _ping(self) -> None:
        try:
            answered = self._store.ping()
        except Exception as exc:  # a ping must never kill the writer
            answered, why = False, f"{type(exc).__name__}: {exc}"
        else:
            why = "does not answer its ping"
        if answered and self._write_failing:
            return  # alive, but the last write failed: stay degraded until a write lands
        if answered:
            self._answered_at = time.monotonic()
            if not self.store_ok:
                log.info("store %s answers its ping again", self._store.name)
            self.vitals.store_ok, self.vitals.store_detail = True, "ok"
        else:
            if self.store_ok:
                log.warning("store %s %s", self._store.name, why)
            self.vitals.store_ok, self.vitals.store_detail = False, why[:300]

    def _quarantine(self, points: Sequence[Point]) -> list[Point]:
        """Write what the store takes and dead-letter the points it refuses as invalid, found by halving the
        batch (a dozen requests for one poison point among thousands, not one request per point). Returns
        the points written. StoreUnavailable passes through: the whole batch stays in the outbox."""
        if len(points) == 1:
            try:
                self._store.write(points)
            except ValueError as exc:
                self._outbox.commit([], [_dead(points[0], str(exc))])
                self._metrics.rejected.add(1, "unstorable")
                log.warning("store %s refused a point; dead-lettered: %s", self._store.name, exc)
                return []
            return list(points)
        good: list[Point] = []
        middle = len(points) // 2
        for half in (points[:middle], points[middle:]):
            try:
                self._store.write(half)
            except ValueError:
                good += self._quarantine(half)
            else:
                good += half
        return good

    def _run(self) -> None:
        backoff = MIN_BACKOFF_S
        while not self._stop.is_set():
            if time.monotonic() - self._checked_at >= self._house.every_s:
                try:
                    self.check_vitals()
                except Exception:
                    log.exception("writer housekeeping failed")
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
            if backoff > MIN_BACKOFF_S and written:
                log.info("store %s is back; draining the outbox", self._store.name)
            backoff = MIN_BACKOFF_S
            if written < self._batch:
                self._wake.wait(0.2)
                self._wake.clear()

    def _failed(self, exc: StoreUnavailable, backoff: float) -> None:
        self._metrics.store_write_errors.add()
        if backoff == MIN_BACKOFF_S:
            log.warning("store %s unavailable (%s); keeping points in the outbox", self._store.name, exc)


def _dead(point: Point, reason: str) -> DeadLetter:
    payload = json.dumps({"ts": point.ts_ms, **point.fields}, default=str).encode()
    return DeadLetter(point.ts_ms, f"{point.measurement}/{point.device}", payload, "unstorable", reason)
