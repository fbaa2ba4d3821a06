"""Probing: one probe of one camera (health endpoint, snapshot, decode, picture checks), and the small pool
of named threads that runs them, off the event loop and off the ingest path.

A camera has at most one probe in flight, so its `Watch` is only ever touched by one thread at a time, and a
hanging camera holds one pool thread until its fetch deadline while the others go on. Results wait in a
queue for the service's worker, which alone writes the store, publishes and raises faults.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from hub.cameras.address import AddressRefused, Policy, Resolver, resolve_checked, system_resolver
from hub.cameras.checks import Check
from hub.cameras.fetch import MAX_HEALTH_BYTES, MAX_SNAPSHOT_BYTES, FetchFailed, Limits, get
from hub.cameras.frames import BadImage, decode
from hub.cameras.health import Reading
from hub.cameras.models import Registration
from hub.cameras.watch import Period, Watch

log = logging.getLogger(__name__)


@dataclass
class Target:
    device: str
    address: Registration
    watch: Watch
    last_digest: bytes | None = None


@dataclass(frozen=True, slots=True)
class Result:
    device: str
    ts_ms: int
    failure: str | None = None  # unreachable | timeout | bad_image: what went wrong, when something did
    detail: str = ""
    latency_ms: float | None = None
    reading: Reading | None = None
    picture: frozenset[Check] = frozenset()  # picture checks raised (after debounce)
    scores: dict[str, float] = field(default_factory=dict)
    jpeg: bytes | None = None
    size: tuple[int, int] | None = None


def _reading(body: bytes) -> Reading:
    try:
        data = json.loads(body)
    except ValueError:
        return Reading()
    if not isinstance(data, dict):
        return Reading()

    def number(name: str) -> float | None:
        value = data.get(name)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    def whole(name: str) -> int | None:
        value = data.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    recording = data.get("recording")
    return Reading(recording if isinstance(recording, bool) else None, number("storage_free_pct"),
                   number("temperature_c"), whole("uptime_s"), whole("time_ms"))


def probe(target: Target, now_ms: int, period: Period, policy: Policy, limits: Limits,
          resolve: Resolver = system_resolver) -> Result:
    a, device = target.address, target.device
    try:
        ip = resolve_checked(a.host, a.port, policy, resolve)
    except AddressRefused as exc:
        target.watch.lost_sight()
        return Result(device, now_ms, "unreachable", str(exc))
    reading: Reading | None = None
    try:
        if a.health_path:
            reading = _reading(get(ip, a.port, a.host, a.health_path, accept=("application/json",),
                                   cap=MAX_HEALTH_BYTES, limits=limits).body)
        answer = get(ip, a.port, a.host, a.snapshot_path, accept=("image/jpeg",), cap=MAX_SNAPSHOT_BYTES,
                     limits=limits)
    except FetchFailed as exc:
        target.watch.lost_sight()
        failure = "bad_image" if exc.reason in ("too_large", "bad_type") else exc.reason
        failure = "unreachable" if failure == "refused" else failure
        return Result(device, now_ms, failure, str(exc), reading=reading)
    try:
        frame = decode(answer.body)
    except BadImage as exc:
        target.watch.lost_sight()
        return Result(device, now_ms, "bad_image", str(exc), answer.latency_ms, reading)
    digest = hashlib.blake2b(answer.body, digest_size=16).digest()
    verdict = target.watch.observe(frame.gray, period, same_bytes=digest == target.last_digest)
    target.last_digest = digest
    return Result(device, now_ms, None, "", answer.latency_ms, reading, verdict.active,
                  {c.value: round(v, 3) for c, v in verdict.scores.items()}, answer.body, (frame.width, frame.height))


class Prober:
    """Runs probes on `workers` threads ("cam-probe_N"); finished results wait in `results`."""

    def __init__(self, workers: int, policy: Callable[[], Policy], limits: Limits,
                 resolve: Resolver = system_resolver) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cam-probe")
        self._policy, self._limits, self._resolve = policy, limits, resolve
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self.results: queue.SimpleQueue[Result] = queue.SimpleQueue()

    def busy(self, device: str) -> bool:
        with self._lock:
            return device in self._busy

    def submit(self, target: Target, now_ms: int, period: Period) -> bool:
        """Start a probe unless this camera's previous one is still running (then it waits its turn)."""
        with self._lock:
            if target.device in self._busy:
                return False
            self._busy.add(target.device)
        self._pool.submit(self._run, target, now_ms, period)
        return True

    def _run(self, target: Target, now_ms: int, period: Period) -> None:
        try:
            result = probe(target, now_ms, period, self._policy(), self._limits, self._resolve)
        except Exception as exc:  # a bug in one probe must not take the camera out of the rotation
            log.exception("camera %s: probe failed", target.device)
            result = Result(target.device, now_ms, "bad_image", f"probe error: {type(exc).__name__}")
        self.results.put(result)  # before it is free again: a waiter that sees it idle finds its result
        with self._lock:
            self._busy.discard(target.device)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
