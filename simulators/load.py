"""Load generator for benchmarks: N telemetry messages from M virtual devices over a few connections.

Devices are shared out among the clients (device i on client i % clients) so each device's messages leave
in order on one connection, with strictly increasing `ts` and a `seq` without gaps. Each client runs in a
thread of its own that both publishes and reads PUBACKs (no paho network thread: handing every message
to another thread costs a wake-up write per message). At most `window` messages per client are left
unacknowledged: as fast as the broker takes them, without queueing the whole run in memory. Invalid
messages (for dead-letter tests) use up no seq, so a device's valid messages are exactly seq 0..last.
With `on_acked`, every valid message the broker acknowledged is reported as (device, seq, ts) when its
PUBACK arrives: the fault tests' ledger (tests/support/ledger.py) counts loss from exactly that.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from devices.contract import Channel, Kind, topic
from simulators.broker import new_client
from simulators.loadpayloads import INVALID, telemetry_payload
from simulators.pump import Pump
from simulators.stamp import Stamper

# Called on a worker thread for each acknowledged valid message: (device, seq, ts).
OnAcked = Callable[[str, int, int], None]


@dataclass(frozen=True)
class LoadResult:
    published: int  # handed to the broker (valid and invalid)
    acked: int  # PUBACKs received (QoS 1) or written to the socket (QoS 0)
    seconds: float
    per_device_last_seq: dict[str, int] = field(repr=False)
    invalid: int = 0

    @property
    def rate(self) -> float:
        return self.acked / self.seconds if self.seconds > 0 else 0.0


def device_ids(count: int, prefix: str = "load") -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(1, count + 1)]


def publish_load(host: str, port: int, site: str, devices: int, messages: int, *, qos: int = 1,
                 clients: int = 4, kind: Kind | str = Kind.LIGHT, invalid_rate: float = 0.0,
                 window: int = 1000, seed: int = 0, timeout_s: float = 120.0,
                 on_acked: OnAcked | None = None) -> LoadResult:
    """Publish `messages` telemetry messages spread round-robin over `devices` ids; wait for their acks."""
    if devices < 1 or messages < 0 or clients < 1 or window < 1:
        raise ValueError("devices, clients and window must be at least 1, messages at least 0")
    ids = device_ids(devices)
    topics = [topic(site, kind, d, Channel.TELEMETRY) for d in ids]
    count = min(clients, devices)
    workers = [_Worker(host, port, qos, window, Kind(kind), invalid_rate, seed + i, ids, on_acked)
               for i in range(count)]
    plans = [[k % devices for k in range(messages) if (k % devices) % count == i] for i in range(count)]
    deadline = time.monotonic() + timeout_s
    threads = [threading.Thread(target=w.run, args=(plan, topics, deadline), name=f"load-{i}")
               for i, (w, plan) in enumerate(zip(workers, plans, strict=True))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    errors = [w.error for w in workers if w.error is not None]
    if errors:
        raise errors[0]
    last = {ids[d]: s.seq - 1 for w in workers for d, s in w.stampers.items() if s.seq > 0}
    return LoadResult(published=sum(w.published for w in workers), acked=sum(w.acked for w in workers),
                      seconds=seconds, per_device_last_seq=last, invalid=sum(w.invalid for w in workers))


class _Worker:
    def __init__(self, host: str, port: int, qos: int, window: int, kind: Kind, invalid_rate: float,
                 seed: int, ids: list[str], on_acked: OnAcked | None) -> None:
        client = new_client(f"hamlet-load-{uuid.uuid4().hex[:12]}", clean_session=True)
        # Unlimited in paho (0), bounded by `window` here: with a paho limit every PUBACK makes paho scan
        # all the messages in flight for a queued one, and throughput falls as the window grows.
        client.max_inflight_messages_set(0)
        client.max_queued_messages_set(0)
        client.on_publish = self._on_publish
        self.pump = Pump(client, host, port)
        self.qos, self.window, self.invalid_rate = qos, window, invalid_rate
        self.make, self.rng = telemetry_payload(kind), random.Random(seed)
        self.stampers: dict[int, Stamper] = {}
        self.published = self.acked = self.invalid = 0
        self.error: Exception | None = None
        # mid -> (device, seq, ts) until its PUBACK. Publishing and reading PUBACKs happen on this worker's
        # own thread, so the mid is always registered before its PUBACK can be read.
        self.ids, self.on_acked = ids, on_acked
        self.inflight: dict[int, tuple[str, int, int]] = {}

    def run(self, plan: list[int], topics: list[str], deadline: float) -> None:
        try:
            self.pump.connect(deadline)
            for device in plan:
                self.pump.run_until(lambda: self.published - self.acked < self.window, deadline)
                payload, stamp = self._payload(device)
                info = self.pump.client.publish(topics[device], payload, qos=self.qos)
                if stamp is not None and self.on_acked is not None and self.qos > 0:
                    self.inflight[info.mid] = (self.ids[device], stamp[1], stamp[0])
                self.published += 1
            self.pump.run_until(lambda: self.acked >= self.published, deadline)
        except Exception as err:  # handed to publish_load, which raises it in the caller's thread
            self.error = err
        finally:
            self.pump.close()

    def _payload(self, device: int) -> tuple[bytes | str, tuple[int, int] | None]:
        """The payload and, for a valid one, its (ts, seq)."""
        if self.invalid_rate and self.rng.random() < self.invalid_rate:
            self.invalid += 1
            return INVALID[self.invalid % len(INVALID)], None
        ts, seq = self.stampers.setdefault(device, Stamper()).next()
        return self.make(ts, seq, self.rng), (ts, seq)

    def _on_publish(self, client: object, data: object, mid: int, reason: object, props: object) -> None:
        self.acked += 1
        entry = self.inflight.pop(mid, None)
        if entry is not None and self.on_acked is not None:
            self.on_acked(*entry)
