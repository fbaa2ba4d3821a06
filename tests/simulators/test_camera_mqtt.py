"""A simulated camera against a real mosquitto: availability and telemetry at once, reboot, faults; never a
retained state (the hub owns a camera's state: the health it probed, see devices/camera.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest

from devices.camera import CameraAck, CameraTelemetry
from devices.contract import Channel, Kind, topic
from simulators.camera import CameraSim
from simulators.netloop import NetLoop
from simulators.stamp import now_ms
from tests.simulators.conftest import SITE
from tests.simulators.probe import Probe, Received
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.integration
DEVICE = "cam-01"


def t(channel: Channel) -> str:
    return topic(SITE, Kind.CAMERA, DEVICE, channel)


def on(channel: Channel, match: dict[str, object] | None = None) -> Callable[[Received], bool]:
    def check(m: Received) -> bool:
        return m.topic == t(channel) and all(m.json().get(k) == v for k, v in (match or {}).items())

    return check


@pytest.fixture
def camera(mosquitto: Mosquitto, net: NetLoop, probe: Probe) -> Iterator[CameraSim]:
    # A long interval: any telemetry seen in these tests is the one sent on connecting.
    device = CameraSim(SITE, DEVICE, net, mosquitto.host, mosquitto.port, telemetry_interval_s=60, reboot_s=0.3)
    device.start()
    probe.wait_text(t(Channel.AVAILABILITY), "online")
    yield device
    device.stop()
    assert device.closed.wait(5)


def send(probe: Probe, command_id: str, action: str) -> None:
    body = {"command_id": command_id, "ts": now_ms(), "action": action}
    probe.client.publish(t(Channel.SET), json.dumps(body), qos=1).wait_for_publish(5)


def test_comes_online_with_telemetry_at_once_and_leaves_the_state_to_the_hub(camera: CameraSim, probe: Probe) -> None:
    first = CameraTelemetry.model_validate_json(probe.wait_for(on(Channel.TELEMETRY), timeout=2)[0].payload)
    assert 14 < first.fps < 16 and first.uptime_s < 5 and 60 <= first.storage_free_pct <= 95
    assert (first.recording, first.stream_ok) == (True, True)  # its own word on its encoder
    camera.fault = "storage_full"  # a change that a device owning its state would publish there
    probe.wait_for(on(Channel.EVENT, {"event": "storage_full"}))
    probe.wait_for(on(Channel.TELEMETRY, {"recording": False}))
    assert probe.on(t(Channel.STATE)) == []


def test_reboot_acks_goes_offline_and_comes_back_with_uptime_reset(camera: CameraSim, probe: Probe) -> None:
    send(probe, "boot-1", "reboot")
    ack = CameraAck.model_validate_json(probe.wait_for(on(Channel.ACK, {"command_id": "boot-1"}))[0].payload)
    assert ack.ok
    probe.wait_text(t(Channel.AVAILABILITY), "offline")  # the broker's last will: a restart is no clean exit
    assert not camera.closed.is_set()
    probe.wait_for(lambda m: m.topic == t(Channel.AVAILABILITY) and m.text == "online", count=2)
    probe.wait_for(on(Channel.EVENT, {"event": "reboot"}))
    after = probe.wait_for(on(Channel.TELEMETRY), count=2)[1]
    assert CameraTelemetry.model_validate_json(after.payload).uptime_s == 0


def test_snapshot_is_acked_and_no_ack_withholds_it(camera: CameraSim, probe: Probe) -> None:
    send(probe, "snap-1", "snapshot")
    assert probe.wait_for(on(Channel.ACK, {"command_id": "snap-1"}))[0].json()["ok"] is True
    camera.fault = "no_ack"
    send(probe, "snap-2", "snapshot")
    time.sleep(0.5)
    assert not probe.on(t(Channel.ACK))[1:]


def test_stream_lost_and_storage_full_show_in_events_and_telemetry_at_once(camera: CameraSim, probe: Probe) -> None:
    camera.fault = "stream_lost"
    probe.wait_for(on(Channel.EVENT, {"event": "stream_lost"}))
    probe.wait_for(on(Channel.TELEMETRY, {"stream_ok": False, "recording": False, "fps": 0.0}))
    send(probe, "snap-1", "snapshot")
    refused = probe.wait_for(on(Channel.ACK, {"command_id": "snap-1"}))[0].json()
    assert (refused["ok"], refused["error"]) == (False, "stream_lost")
    camera.fault = "storage_full"  # replaces the lost stream
    probe.wait_for(on(Channel.EVENT, {"event": "stream_restored"}))
    probe.wait_for(on(Channel.EVENT, {"event": "storage_full"}))
    probe.wait_for(on(Channel.TELEMETRY, {"stream_ok": True, "recording": False, "storage_free_pct": 0.0}))
    assert probe.on(t(Channel.STATE)) == []
    with pytest.raises(ValueError, match="unknown for a camera"):
        camera.fault = "lamp_failure"
