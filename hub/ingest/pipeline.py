"""The ingest pipeline: bus thread -> committer thread (decode, outbox commit, ack, then hand-off).

paho's network thread only appends to a queue: validation, the outbox transaction and the acks happen in
batches on the committer thread, so one SQLite commit and one wake-up cover thousands of messages. Only
after the acks do the live registry and the observers (the router, which feeds the services on their own
workers) see the batch, each call guarded: nothing but the bridge can hold back or lose a batch.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import ChainMap, Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from devices.contract import DEVICE_CHANNELS, ingest_filters
from hub.bus.base import Bus, Message
from hub.domain import Accepted
from hub.ingest.decode import ClockBounds, decode
from hub.ingest.outbox import DeadLetter, Outbox
from hub.ingest.stages import StageClock, stamp
from hub.metrics import HubMetrics
from hub.registry import Registry
from hub.storage.base import Point
from hub.timeutil import now_ms

log = logging.getLogger(__name__)


# The `channel` label of hamlet_messages_in_total: known channels only, so a flood of odd topics cannot
# grow the metrics without bound.
_CHANNEL_LABEL = {c.value: c.value for c in DEVICE_CHANNELS}
# Availability has no seq: a serial stands in for it in the key (unique within the process; the point is
# timed at ingest, so a restart moves it to another millisecond anyway).
_SERIAL_SLOTS = 1_000_000


@dataclass(slots=True)
class CommitHealth:
    """What /healthz reads about the outbox commits (plain values: no I/O on the request path)."""

    failures: int = 0  # consecutive failed commits; 0 once one succeeds
    last_error: str = ""
    last_failure_ms: int = 0


@dataclass(frozen=True, slots=True)
class IngestOptions:
    site: str
    batch: int = 2000
    flush_ms: int = 20
    bounds: ClockBounds = ClockBounds(300_000, 7 * 86_400_000)  # noqa: RUF009 (frozen, so sharing is safe)
    # Received but not yet committed, at most: past it the bus thread waits for the committer, so a broker's
    # backlog of 100,000 messages stays in the broker (and in TCP) instead of in the hub's memory.
    max_pending: int = 10_000


class Ingest:
    def __init__(
        self,
        bus: Bus,
        outbox: Outbox,
        registry: Registry,
        metrics: HubMetrics,
        options: IngestOptions,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._bus = bus
        self._outbox = outbox
        self._registry = registry
        self._metrics = metrics
        self._options = options
        self._clock = clock
        self._pending: deque[Message] = deque()
        self._wake = threading.Event()
        self._room = threading.Event()  # set when the queue has room again (the bus thread waits on it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-committer", daemon=True)
        self._offsets = outbox.clock_offsets()  # per-device clock offsets, as committed
        self._serial = itertools.count()
        self.commits = CommitHealth()
        self.stages = StageClock()
        # Acknowledge a batch at once when the bus can (MqttBus.ack_many), else one by one.
        self._ack_many: Callable[[list[Message]], None] | None = getattr(bus, "ack_many", None)
        self.on_committed: list[Callable[[], None]] = []  # e.g. wake the writer
        # Services that follow device messages (commands, faults) see each committed batch, in order.
        self.observers: list[Callable[[list[Accepted]], None]] = []

    def start(self) -> None:
        self.subscribe()
        self._thread.start()

    def subscribe(self) -> None:
        """Only the subscriptions, without the committer thread (tests drive process_pending themselves)."""
        for topic_filter in ingest_filters(self._options.site):
            self._bus.subscribe(topic_filter, self.receive, qos=1)

    def stop(self) -> None:
        """Commit what was received, then stop (what is not committed is not acked: the broker resends)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        if self.stages.messages:
            bus = self._bus
            log.info(self.stages.summary(getattr(bus, "rx_cpu_ns", 0), getattr(bus, "rx_messages", 0)))

    def receive(self, message: Message) -> None:
        """Called on the bus thread: queue only; the committer does the work in batches. A message into an
        empty queue wakes the committer at once (a light's ack must not wait for the flush timer); under
        load the queue is rarely empty, so batches grow by themselves while the committer works."""
        pending = self._pending
        pending.append(message)
        depth = len(pending)
        if depth == 1 or depth >= self._options.batch:
            self._wake.set()
        if depth >= self._options.max_pending:
            self._wait_for_room()

    def _wait_for_room(self) -> None:
        """Back-pressure on the bus thread (only while the committer runs: a test driving process_pending
        itself must never block here). The committer never waits for the bus thread, so this cannot lock."""
        while len(self._pending) >= self._options.max_pending and self._thread.is_alive():
            if self._stop.is_set():
                return
            self._room.clear()
            if len(self._pending) < self._options.max_pending:
                return
            self._room.wait(0.5)

    @property
    def backlog(self) -> int:
        """Messages received and not yet committed (cheap: a queue's length)."""
        return len(self._pending)

    def process_pending(self) -> int:
        """Decode, commit and acknowledge everything queued so far; returns how many messages."""
        batch = self._drain()
        if not batch:
            return 0
        stamps = [stamp()]
        now = self._clock()
        points: list[Point] = []
        dead: list[DeadLetter] = []
        accepted: list[Accepted] = []
        # Offsets this batch sets go to the first map only: kept in memory once they are committed.
        offsets: ChainMap[str, int] = ChainMap({}, self._offsets)
        inventory, bounds, serial = self._registry.inventory, self._options.bounds, self._serial
        for message in batch:
            result = decode(message.topic, message.payload, now, inventory, bounds, offsets,
                            next(serial) % _SERIAL_SLOTS)
            if isinstance(result, Accepted):
                accepted.append(result)
                points.append(result.point)
            else:
                dead.append(DeadLetter(now, message.topic, message.payload, result.reason, result.detail))
        stamps.append(stamp())
        try:
            pruned = self._outbox.commit(points, dead, offsets.maps[0])
        except Exception as exc:
            # Not committed, so not acknowledged: put the batch back and let the caller retry.
            self._pending.extendleft(reversed(batch))
            self.commits.failures += 1
            self.commits.last_error = f"{type(exc).__name__}: {exc}"[:300]
            self.commits.last_failure_ms = self._clock()
            self._metrics.commit_failures.add()
            raise
        stamps.append(stamp())
        self.commits.failures = 0
        self._offsets.update(offsets.maps[0])
        if self._ack_many is not None:
            self._ack_many(batch)
        else:
            for message in batch:
                self._bus.ack(message)
        stamps.append(stamp())
        self._count(batch, accepted, dead, pruned)
        for callback in self.on_committed:
            callback()
        self._after_commit(accepted, now)
        stamps.append(stamp())
        self.stages.add(len(batch), stamps)
        return len(batch)

    def _after_commit(self, accepted: list[Accepted], now: int) -> None:
        """The batch is safe and acknowledged: now the registry and the observers, each guarded, so a bug
        in one of them never loses or holds back a batch."""
        for item in accepted:
            try:
                self._registry.apply(item, now)
            except Exception:
                log.exception("registry update failed (the batch is committed and acknowledged)")
        for observer in self.observers:
            try:
                observer(accepted)
            except Exception:  # one service's bug must not stop ingest: the data is already safe
                log.exception("ingest observer failed")

    def _drain(self) -> list[Message]:
        batch: list[Message] = []
        pending = self._pending
        while pending and len(batch) < self._options.batch:
            batch.append(pending.popleft())
        self._room.set()
        return batch

    def _count(self, batch: list[Message], accepted: list[Accepted], dead: list[DeadLetter], pruned: int) -> None:
        m = self._metrics
        channels = Counter([_CHANNEL_LABEL.get(msg.topic[msg.topic.rfind("/") + 1 :], "other") for msg in batch])
        for channel, n in channels.items():
            m.messages_in.add(n, channel)
        m.dead_letters_pruned.add(pruned)
        m.clock_replaced.add(sum(1 for item in accepted if item.clock_replaced))
        for letter in dead:
            m.rejected.add(1, letter.reason)
        m.acked.add(len(batch))

    def _run(self) -> None:
        flush_s = self._options.flush_ms / 1000
        while not self._stop.is_set():
            self._wake.wait(flush_s)
            self._wake.clear()
            self._commit_all()
        self._commit_all()

    def _commit_all(self) -> None:
        try:
            while self.process_pending():
                pass
        except Exception:
            # The outbox could not commit (disk full?): nothing was acked, the broker will resend.
            log.exception("ingest commit failed; messages stay unacknowledged")
            time.sleep(1)
