"""The devices' side for the browser tests, in plain paho: retained availability and state for every device
of a site (what a fleet leaves on the broker; a camera's state is the hub's, so cameras send telemetry
instead), telemetry for sparklines, one refused message for the dead
letters, and a watcher on the hub -> device channels that proves a refused control published nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.camera import CameraTelemetry
from devices.contract import OFFLINE, ONLINE, Kind, device_filters, topic
from devices.light import LightState, LightTelemetry
from devices.site import Device, Site
from devices.speaker import SpeakerState

HOUR_MS = 3_600_000


def _client(client_id: str) -> mqtt.Client:
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def state_of(device: Device, index: int, ts: int) -> bytes:
    """A plausible retained state: two lights in three on, speakers idle (cameras: see camera_report)."""
    if device.kind == Kind.LIGHT:
        on = index % 3 != 0
        body = LightState(ts=ts, seq=1, state="ON" if on else "OFF", brightness=80 if on else 0)
        return body.model_dump_json().encode()
    return SpeakerState(ts=ts, seq=1, status="idle", volume=70).model_dump_json().encode()


def camera_report(ts: int) -> bytes:
    """A camera's own telemetry: streaming and recording (its retained state is the hub's to publish)."""
    return CameraTelemetry(ts=ts, seq=1, fps=15.0, bitrate_kbps=2048.0, uptime_s=3600, temperature_c=40.0,
                           storage_free_pct=80.0, recording=True, stream_ok=True).model_dump_json().encode()


class Devices:
    """One connection publishing on behalf of every device (the hub cannot tell: topics carry the id)."""

    def __init__(self, site: Site, host: str, port: int) -> None:
        self.site = site
        self.client = _client("web-test-devices")
        self.client.connect(host, port)
        self.client.loop_start()

    def publish(self, topic_: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic_, payload, qos=1, retain=retain).wait_for_publish(10)

    def bring_online(self) -> None:
        now = _now_ms()
        for i, device in enumerate(self.site.devices):
            if device.kind == Kind.CAMERA:
                self.publish(topic(self.site.id, device.kind, device.id, "telemetry"), camera_report(now))
            else:
                self.publish(topic(self.site.id, device.kind, device.id, "state"), state_of(device, i, now),
                             retain=True)
            self.publish(topic(self.site.id, device.kind, device.id, "availability"), ONLINE.encode(), retain=True)

    def light_telemetry(self, device: Device, hours: int = 6) -> None:
        start = _now_ms() - hours * HOUR_MS
        for i in range(hours * 4):
            body = LightTelemetry(ts=start + i * HOUR_MS // 4, seq=100 + i, power_w=30.0 + (i % 5) * 4,
                                  voltage_v=220.0, energy_wh=float(i), level=80)
            self.publish(topic(self.site.id, Kind.LIGHT, device.id, "telemetry"), body.model_dump_json().encode())

    def go_offline(self, device: Device) -> None:
        """What the broker publishes when a device vanishes: its retained last will."""
        self.publish(topic(self.site.id, device.kind, device.id, "availability"), OFFLINE.encode(), retain=True)

    def refused_message(self, device: Device) -> None:
        """A state the contract refuses (brightness above 100): the hub keeps it as a dead letter."""
        payload = b'{"ts": %d, "seq": 2, "state": "ON", "brightness": 150}' % _now_ms()
        self.publish(topic(self.site.id, device.kind, device.id, "state"), payload)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Watcher:
    """Subscribed to every hub -> device channel (set, config) of every device of the site."""

    def __init__(self, site: Site, host: str, port: int) -> None:
        self.live: list[str] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = _client("web-test-watcher")
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: self._subscribed.set()
        self.client.connect(host, port)
        filters = [f for d in site.devices for f in device_filters(site.id, d.kind, d.id)]
        self.client.subscribe([(f, 1) for f in filters])
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise AssertionError("the broker did not acknowledge the watcher's subscription")

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        # A retained config already on the broker arrives flagged `retain`; anything published while we
        # watch arrives without the flag (MQTT 3.1.1 §3.3.1.3).
        if not message.retain:
            with self._lock:
                self.live.append(message.topic)

    def published(self) -> list[str]:
        with self._lock:
            return list(self.live)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def watching(site: Site, host: str, port: int) -> Iterator[Watcher]:
    watcher = Watcher(site, host, port)
    try:
        yield watcher
    finally:
        watcher.close()
