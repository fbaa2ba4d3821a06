"""A plain paho publisher for integration tests: QoS 1 light telemetry with per-device seq, paced, and
every PUBACK written to a ledger (tests/support/ledger.py).

It rides out a broker crash: paho's network thread reconnects (capped at 2 s here) and resends every
message the broker had not acknowledged, so a message counts as sent only once its PUBACK is in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract import topic
from devices.light import LightTelemetry
from tests.support.ledger import Ledger

# A device's clock: the ts it puts on its message number `seq`.
DeviceClock = Callable[[str, int], int]


def telemetry_payload(seq: int, ts: int) -> bytes:
    return LightTelemetry(ts=ts, seq=seq, power_w=40.0, voltage_v=220.0, energy_wh=float(seq), level=100) \
        .model_dump_json().encode()


@dataclass
class Publisher:
    host: str
    port: int
    site: str
    ledger: Ledger = field(default_factory=Ledger)
    acked: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # mid -> (device, seq, ts) until its PUBACK; PUBACKs that beat publish() registering the mid wait in _early
    _inflight: dict[int, tuple[str, int, int] | None] = field(default_factory=dict)
    _early: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_publish = self._on_publish
        self.client.connect(self.host, self.port)
        self.client.loop_start()

    def _on_publish(self, _c: object, _u: object, mid: int, _r: object, _p: object) -> None:
        # Never call paho while holding our lock: paho holds its own message lock while calling us.
        with self._lock:
            self.acked += 1
            if mid not in self._inflight:
                self._early.add(mid)
                return
            entry = self._inflight.pop(mid)
        if entry is not None:
            self.ledger.record(*entry)

    def _publish(self, topic_: str, payload: bytes, entry: tuple[str, int, int] | None) -> mqtt.MQTTMessageInfo:
        info = self.client.publish(topic_, payload, qos=1)
        with self._lock:
            early = info.mid in self._early
            if early:
                self._early.discard(info.mid)
            else:
                self._inflight[info.mid] = entry
        if early and entry is not None:
            self.ledger.record(*entry)
        return info

    def raw(self, topic_: str, payload: bytes, device: str | None = None) -> mqtt.MQTTMessageInfo:
        """Publish any payload; with `device`, a PUBACK records it in the ledger by its own seq and ts."""
        entry = None
        if device is not None:
            probe = Ledger()
            if probe.record_payload(device, payload):
                ((_, seq), ts), = probe.entries().items()
                entry = (device, seq, ts)
        return self._publish(topic_, payload, entry)

    def telemetry(self, devices: list[str], per_device: int, rate: float | None = None,
                  start_ts: int | None = None, first_seq: int = 0, clock: DeviceClock | None = None,
                  stop: threading.Event | None = None) -> int:
        """Publish `per_device` messages for each device (seq first_seq.., ts start_ts + seq unless `clock`
        says otherwise), at about `rate` msg/s if given; `stop` ends it early. Returns how many were sent."""
        base = start_ts or (time.time_ns() // 1_000_000 - per_device - 1000)
        stamp = clock or (lambda _device, seq: base + seq)
        sent = 0
        began = time.monotonic()
        for seq in range(first_seq, first_seq + per_device):
            if stop is not None and stop.is_set():
                break
            for device in devices:
                ts = stamp(device, seq)
                self._publish(topic(self.site, "light", device, "telemetry"), telemetry_payload(seq, ts),
                              (device, seq, ts))
                sent += 1
                if rate and sent % 50 == 0:
                    ahead = sent / rate - (time.monotonic() - began)
                    if ahead > 0:
                        time.sleep(ahead)
        return sent

    def wait_acked(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.acked < n and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.acked < n:
            raise AssertionError(f"broker acknowledged {self.acked} of {n} publishes")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
