"""A plain paho publisher for integration tests: QoS 1 light telemetry with per-device seq, paced."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract import topic
from devices.light import LightTelemetry


def telemetry_payload(seq: int, ts: int) -> bytes:
    return LightTelemetry(ts=ts, seq=seq, power_w=40.0, voltage_v=220.0, energy_wh=float(seq), level=100) \
        .model_dump_json().encode()


@dataclass
class Publisher:
    host: str
    port: int
    site: str
    acked: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self._on_publish
        self.client.connect(self.host, self.port)
        self.client.loop_start()

    def _on_publish(self, *_a: object) -> None:
        with self._lock:
            self.acked += 1

    def raw(self, topic_: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        return self.client.publish(topic_, payload, qos=1)

    def telemetry(self, devices: list[str], per_device: int, rate: float | None = None,
                  start_ts: int | None = None, first_seq: int = 0) -> int:
        """Publish `per_device` messages for each device (seq first_seq.., ts start_ts + seq), at about
        `rate` msg/s if given."""
        base = start_ts or (time.time_ns() // 1_000_000 - per_device - 1000)
        sent = 0
        began = time.monotonic()
        for seq in range(first_seq, first_seq + per_device):
            for device in devices:
                self.client.publish(topic(self.site, "light", device, "telemetry"), telemetry_payload(seq, base + seq),
                                    qos=1)
                sent += 1
                if rate and sent % 100 == 0:
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
