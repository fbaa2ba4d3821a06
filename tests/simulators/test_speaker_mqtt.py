"""A simulated loudspeaker against a real mosquitto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from devices.contract import Channel, Kind, topic
from devices.speaker import SpeakerAck, SpeakerState
from simulators.netloop import NetLoop
from simulators.speaker import SpeakerSim
from simulators.stamp import now_ms
from tests.simulators.conftest import SITE
from tests.simulators.probe import Probe, Received
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.integration
DEVICE = "loa-01"


def t(channel: Channel) -> str:
    return topic(SITE, Kind.SPEAKER, DEVICE, channel)


@pytest.fixture
def speaker(mosquitto: Mosquitto, net: NetLoop, probe: Probe) -> Iterator[SpeakerSim]:
    device = SpeakerSim(SITE, DEVICE, net, mosquitto.host, mosquitto.port, telemetry_interval_s=0.2, play_s=0.4)
    device.start()
    probe.wait_text(t(Channel.AVAILABILITY), "online")
    yield device
    device.stop()
    assert device.closed.wait(5)


def play(probe: Probe, command_id: str, bulletin: str, priority: str = "normal") -> None:
    body = {"command_id": command_id, "ts": now_ms(), "action": "play", "bulletin_id": bulletin,
            "media_url": f"http://hub.local/media/{bulletin}.mp3", "priority": priority}
    probe.client.publish(t(Channel.SET), json.dumps(body), qos=1).wait_for_publish(5)


def event(name: str, bulletin: str) -> Callable[[Received], bool]:
    def match(m: Received) -> bool:
        return m.topic == t(Channel.EVENT) and m.json()["event"] == name and m.json()["bulletin_id"] == bulletin

    return match


def test_plays_a_bulletin_to_the_end(speaker: SpeakerSim, probe: Probe) -> None:
    play(probe, "p-1", "ban-tin-sang")
    ack = SpeakerAck.model_validate_json(probe.wait_for(lambda m: m.topic == t(Channel.ACK))[0].payload)
    assert (ack.ok, ack.command_id, ack.bulletin_id) == (True, "p-1", "ban-tin-sang")
    probe.wait_for(event("playback_started", "ban-tin-sang"))
    probe.wait_for(event("playback_finished", "ban-tin-sang"))
    probe.wait_for(lambda m: m.topic == t(Channel.STATE) and m.json()["status"] == "idle", count=2)
    states = [SpeakerState.model_validate_json(m.payload) for m in probe.on(t(Channel.STATE))]
    assert [s.status for s in states] == ["idle", "playing", "idle"]


def test_an_emergency_preempts_a_normal_bulletin(speaker: SpeakerSim, probe: Probe) -> None:
    play(probe, "p-1", "nhac")
    probe.wait_for(event("playback_started", "nhac"))
    play(probe, "p-2", "bao-lu", priority="emergency")
    probe.wait_for(event("preempted", "nhac"))
    probe.wait_for(event("playback_finished", "bao-lu"))
    assert not [m for m in probe.on(t(Channel.EVENT)) if m.json()["event"] == "playback_finished"
                and m.json()["bulletin_id"] == "nhac"]
