"""One street light a test drives by hand over a real broker, speaking only the contract: availability
with a last will, state, and telemetry with the readings the test chooses. Unlike the simulator it never
announces its own faults, so what the hub finds it must find in the telemetry."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract import Channel, Kind, topic
from simulators.stamp import now_ms
from tests.support.mosquitto import Mosquitto


class ContractLight:
    def __init__(self, mosquitto: Mosquitto, site: str, device: str) -> None:
        self.site, self.device = site, device
        self._seq = 0
        self._lock = threading.Lock()
        self.energy_wh = 0.0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{device}-by-hand", protocol=mqtt.MQTTv311)
        self.client.will_set(self._topic(Channel.AVAILABILITY), b"offline", qos=1, retain=True)
        self._host, self._port = mosquitto.host, mosquitto.port

    def start(self) -> None:
        self.client.connect(self._host, self._port)
        self.client.loop_start()
        self._publish(Channel.AVAILABILITY, b"online", retain=True)
        self.state("ON", 100)

    def state(self, state: str, brightness: int) -> None:
        self._send(Channel.STATE, {"state": state, "brightness": brightness, "mode": "schedule"}, retain=True)

    def telemetry(self, level: int, power_w: float) -> None:
        self.energy_wh += power_w / 60  # as if a minute went by: the meter only moves forward
        self._send(Channel.TELEMETRY, {"power_w": power_w, "voltage_v": 220.0, "energy_wh": round(self.energy_wh, 3),
                                       "level": level})

    @property
    def seq(self) -> int:
        return self._seq

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _send(self, channel: Channel, body: dict[str, object], retain: bool = False) -> None:
        with self._lock:
            self._seq += 1
            payload = json.dumps({"ts": now_ms(), "seq": self._seq, **body}).encode()
        self._publish(channel, payload, retain)

    def _publish(self, channel: Channel, payload: bytes, retain: bool = False) -> None:
        info = self.client.publish(self._topic(channel), payload, qos=1, retain=retain)
        info.wait_for_publish(5)  # in order, and on the broker before the test looks at the hub

    def _topic(self, channel: Channel) -> str:
        return topic(self.site, Kind.LIGHT, self.device, channel)
