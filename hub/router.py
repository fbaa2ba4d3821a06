"""Device messages to services by (kind, channel), each service on its own worker and bounded queue.

`Router.enqueue` is the one ingest observer: it runs on the committer thread after the batch was committed
and acknowledged, looks each message up in a table built once at start, and appends one chunk per service
to that service's queue. It never waits: a service whose queue is full loses that chunk, the loss is
counted (`/metrics`, `/healthz`) and the service is marked for a resync, which its worker runs (from the
registry's live state) once it has caught up. So a slow or broken service never delays an ack.

Each worker ("svc-<name>") takes everything queued as one batch (up to MAX_BATCH messages) and hands it to
`service.handle`, which coalesces (per device the latest state, summed energy); between batches it calls
`service.tick` every `tick_s`. One thread per service keeps its handler and its timers from racing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from hub.domain import Accepted
from hub.service import Route, Service

log = logging.getLogger(__name__)

QUEUE_BOUND: Final = 20_000  # messages per service: a few seconds of a 10,000-device hamlet at full rate
MAX_BATCH: Final = 5_000  # what one handle() gets at most, so a tick is never starved by a backlog


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    name: str
    depth: int  # messages queued, not yet handled
    handled: int
    dropped: int  # messages lost to a full queue (each loss leads to a resync)
    errors: int  # batches or ticks whose handler raised
    resyncs: int
    behind: bool  # lost messages and not yet resynced
    alive: bool
    busy_s: float = 0.0  # time spent in handle() (the bench's per-service cost per message)
    peak: int = 0  # the deepest the queue has been (what it held in memory at worst)

    @property
    def ok(self) -> bool:
        return self.alive and not self.behind


class ServiceWorker:
    """One service's bounded queue and the thread that drains it."""

    def __init__(self, service: Service, bound: int = QUEUE_BOUND, max_batch: int = MAX_BATCH) -> None:
        self.service = service
        self._bound = bound
        self._max_batch = max_batch
        self._chunks: deque[list[Accepted]] = deque()
        self._depth = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._resync = False
        self._handled = self._dropped = self._errors = self._resyncs = 0
        self._busy_s = 0.0
        self._peak = 0
        self._thread = threading.Thread(target=self._run, name=f"svc-{service.name}", daemon=True)

    def offer(self, chunk: list[Accepted]) -> bool:
        """Queue a chunk unless that would pass the bound; never blocks (the committer calls this)."""
        with self._cond:
            if self._depth + len(chunk) > self._bound:
                self._dropped += len(chunk)
                self._resync = True
                return False
            self._chunks.append(chunk)
            self._depth += len(chunk)
            if self._depth > self._peak:
                self._peak = self._depth
            self._cond.notify()
            return True

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Handle what is queued, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("service %s did not finish its queue within %.0f s", self.service.name, timeout)

    def status(self) -> WorkerStatus:
        with self._cond:
            return WorkerStatus(self.service.name, self._depth, self._handled, self._dropped, self._errors,
                                self._resyncs, self._resync, self._thread.is_alive(), self._busy_s, self._peak)

    def _take(self, wait_s: float | None) -> tuple[list[Accepted], bool]:
        """The next batch and whether a resync is due; waits for either, for at most `wait_s`."""
        with self._cond:
            if not self._chunks and not self._stopping and not self._resync:
                self._cond.wait(wait_s)
            batch: list[Accepted] = []
            while self._chunks and len(batch) < self._max_batch:
                batch.extend(self._chunks.popleft())
            self._depth -= len(batch)
            # Resync only once the backlog is gone: the registry is ahead of anything still queued.
            resync = self._resync and not self._chunks
            if resync:
                self._resync = False
            return batch, resync

    def _run(self) -> None:
        tick_s = self.service.tick_s
        next_tick = time.monotonic() + tick_s if tick_s else None
        while True:
            batch, resync = self._take(None if next_tick is None else max(0.0, next_tick - time.monotonic()))
            if batch:
                began = time.perf_counter()
                self._call(self.service.handle, batch)
                busy = time.perf_counter() - began
                with self._cond:
                    self._handled += len(batch)
                    self._busy_s += busy
            if resync:
                self._call(self.service.resync)
                with self._cond:
                    self._resyncs += 1
            if next_tick is not None and tick_s and time.monotonic() >= next_tick:
                # From now, not from the last due time: a tick that overran is not run twice in a row.
                self._call(self.service.tick)
                next_tick = time.monotonic() + tick_s
            with self._cond:
                if self._stopping and not self._chunks:
                    return

    def _call(self, fn: Callable[..., object], *args: object) -> None:
        try:
            fn(*args)
        except Exception:  # the next batch and the next tick still come; ingest never knew
            log.exception("service %s failed", self.service.name)
            with self._cond:
                self._errors += 1


class Router:
    """The table from (kind, channel) to the workers of the services that want it."""

    def __init__(self, services: Sequence[Service], bound: int = QUEUE_BOUND) -> None:
        names = [s.name for s in services]
        if len(set(names)) != len(names):
            raise ValueError(f"service names must be unique: {names}")
        self.workers = [ServiceWorker(s, bound) for s in services if s.wants or s.tick_s]
        table: dict[Route, list[ServiceWorker]] = {}
        for worker in self.workers:
            for route in sorted(worker.service.wants):
                table.setdefault(route, []).append(worker)
        self._table = {route: tuple(workers) for route, workers in table.items()}
        self.route_s = 0.0  # time spent sorting batches on the committer thread (one writer: no lock)
        self.messages = 0  # committed messages offered to the router (whether or not a service wanted them)

    def routes(self) -> dict[Route, tuple[str, ...]]:
        return {route: tuple(w.service.name for w in workers) for route, workers in self._table.items()}

    def enqueue(self, accepted: list[Accepted]) -> None:
        """The ingest observer (committer thread, after commit and ack): sort into chunks, offer each."""
        began = time.perf_counter()
        chunks: dict[ServiceWorker, list[Accepted]] = {}
        table = self._table
        for item in accepted:
            where = item.where
            for worker in table.get((where.kind, where.channel), ()):
                chunk = chunks.get(worker)
                if chunk is None:
                    chunks[worker] = [item]
                else:
                    chunk.append(item)
        for worker, chunk in chunks.items():
            worker.offer(chunk)
        self.route_s += time.perf_counter() - began
        self.messages += len(accepted)

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()
        if any(w.handled for w in self.status()):
            log.info(self.summary())

    def summary(self) -> str:
        """One line for the log at stop (bench/ingest.py reads it): µs per message routed and per service."""
        rows = self.status()
        each = ", ".join(f"{w.name} {w.busy_s * 1e6 / max(w.handled, 1):.1f} µs/msg ({w.handled} msgs, "
                         f"{w.dropped} dropped, peak depth {w.peak})" for w in rows)
        per = self.route_s * 1e6 / max(self.messages, 1)
        return f"router: routing {per:.2f} µs/msg ({self.messages} msgs); services: {each}"

    def status(self) -> list[WorkerStatus]:
        return [worker.status() for worker in self.workers]

    def render_metrics(self) -> list[str]:
        """Prometheus lines, labelled by service (hub/metrics.py renders them with the bridge's own)."""
        rows = self.status()
        lines: list[str] = []
        for name, (kind, field, help_text) in _METRICS.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
            lines += [f'{name}{{service="{row.name}"}} {_number(getattr(row, field))}' for row in rows]
        lines += ["# HELP hamlet_router_seconds_total Time the committer spent routing batches to services",
                  "# TYPE hamlet_router_seconds_total counter", f"hamlet_router_seconds_total {_number(self.route_s)}"]
        return lines


_METRICS: Final = {  # name -> (type, WorkerStatus field, help)
    "hamlet_service_queue_depth": ("gauge", "depth", "Device messages queued for a service"),
    "hamlet_service_handled_total": ("counter", "handled", "Device messages a service handled"),
    "hamlet_service_dropped_total": ("counter", "dropped", "Device messages dropped on a full service queue"),
    "hamlet_service_errors_total": ("counter", "errors", "Service batches or ticks that raised"),
    "hamlet_service_resyncs_total": ("counter", "resyncs", "Service resyncs from the registry after drops"),
    "hamlet_service_behind": ("gauge", "behind", "1 while a service lost messages and has not resynced"),
    "hamlet_service_busy_seconds_total": ("counter", "busy_s", "Time a service spent handling its batches"),
}


def _number(value: float) -> str:
    """Counts as whole numbers (never 1.2e+06), seconds to the microsecond."""
    return f"{value:.6f}" if isinstance(value, float) else str(int(value))
