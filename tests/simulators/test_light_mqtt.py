"""A simulated light against a real mosquitto, watched by a plain paho subscriber."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import pytest

from devices.contract import Channel, Kind, ingest_filters, topic
from devices.light import LightAck, LightState, LightTelemetry
from simulators.light import LightSim
from simulators.netloop import NetLoop
from simulators.stamp import now_ms
from tests.simulators.conftest import SITE
from tests.simulators.probe import Probe, Received
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.integration
DEVICE = "den-01"


def t(channel: Channel) -> str:
    return topic(SITE, Kind.LIGHT, DEVICE, channel)


@pytest.fixture
def light(mosquitto: Mosquitto, net: NetLoop, probe: Probe) -> Iterator[LightSim]:
    device = LightSim(SITE, DEVICE, net, mosquitto.host, mosquitto.port, telemetry_interval_s=0.1, slow_ack_s=0.4)
    device.start()
    probe.wait_text(t(Channel.AVAILABILITY), "online")  # published after its subscriptions: sets reach it
    yield device
    device.stop()
    assert device.closed.wait(5)


def send(probe: Probe, command_id: str, **fields: object) -> None:
    body = {"command_id": command_id, "ts": now_ms(), **fields}
    probe.client.publish(t(Channel.SET), json.dumps(body), qos=1).wait_for_publish(5)


def acks(probe: Probe, command_id: str, count: int = 1, timeout: float = 5.0) -> list[LightAck]:
    def match(m: Received) -> bool:
        return m.topic == t(Channel.ACK) and m.json()["command_id"] == command_id

    return [LightAck.model_validate_json(m.payload) for m in probe.wait_for(match, timeout, count)]


def retained(mosquitto: Mosquitto, channel: Channel, text: str | None = None) -> Received:
    """What a subscriber arriving now gets for the channel: the broker's retained message."""
    with Probe(mosquitto.host, mosquitto.port, ingest_filters(SITE)) as late:
        found = late.wait_for(lambda m: m.topic == t(channel) and (text is None or m.text == text))[0]
    assert found.retain
    return found


def test_comes_online_with_retained_availability_and_state(mosquitto: Mosquitto, light: LightSim) -> None:
    retained(mosquitto, Channel.AVAILABILITY, "online")
    state = LightState.model_validate_json(retained(mosquitto, Channel.STATE).payload)
    assert (state.state, state.mode) == ("OFF", "schedule")


def test_every_message_carries_increasing_ts_and_seq(light: LightSim, probe: Probe) -> None:
    telemetry = [LightTelemetry.model_validate_json(m.payload)
                 for m in probe.wait_for(lambda m: m.topic == t(Channel.TELEMETRY), count=5)]
    assert all(x.voltage_v > 0 and x.power_w == pytest.approx(0.5) for x in telemetry)
    stamped = [m.json() for m in probe.on(t(Channel.STATE)) + probe.on(t(Channel.TELEMETRY))]
    stamped.sort(key=lambda body: body["seq"])
    assert [b["seq"] for b in stamped] == list(range(len(stamped)))  # state is seq 0, no gap, no repeat
    assert all(a["ts"] < b["ts"] for a, b in itertools.pairwise(stamped))


def test_obeys_a_set_acks_it_and_applies_a_repeated_id_once(light: LightSim, probe: Probe) -> None:
    send(probe, "cmd-1", state="ON", brightness=70)
    first = acks(probe, "cmd-1")[0]
    assert (first.ok, first.state, first.brightness) == (True, "ON", 70)
    state = LightState.model_validate_json(probe.on(t(Channel.STATE))[-1].payload)
    assert (state.state, state.brightness, state.mode) == ("ON", 70, "manual")
    states_before = len(probe.on(t(Channel.STATE)))
    send(probe, "cmd-1", state="ON", brightness=70)
    again = acks(probe, "cmd-1", count=2)[1]
    assert (again.ok, again.state, again.brightness) == (True, "ON", 70) and again.seq > first.seq
    assert len(probe.on(t(Channel.STATE))) == states_before  # not applied a second time
    assert probe.wait_for(lambda m: m.topic == t(Channel.TELEMETRY) and m.json()["level"] == 70)


def test_refuses_an_expired_command_and_an_invalid_one(light: LightSim, probe: Probe) -> None:
    send(probe, "late-1", state="ON", expires_at=now_ms() - 1_000)
    assert (acks(probe, "late-1")[0].ok, acks(probe, "late-1")[0].error) == (False, "expired")
    send(probe, "bad-1", brightness=150)
    bad = acks(probe, "bad-1")[0]
    assert not bad.ok and bad.error is not None and "brightness" in bad.error


def test_go_offline_makes_the_broker_publish_the_will_and_come_online_returns(
    mosquitto: Mosquitto, light: LightSim, probe: Probe
) -> None:
    light.go_offline()
    probe.wait_text(t(Channel.AVAILABILITY), "offline")
    assert not light.closed.is_set()  # no clean stop: this "offline" is the broker's last will
    retained(mosquitto, Channel.AVAILABILITY, "offline")
    light.come_online()
    probe.wait_for(lambda m: m.topic == t(Channel.AVAILABILITY) and m.text == "online", count=2)
    retained(mosquitto, Channel.AVAILABILITY, "online")


def test_telemetry_goes_out_as_soon_as_the_light_connects(mosquitto: Mosquitto, net: NetLoop, probe: Probe) -> None:
    slow = LightSim(SITE, "den-02", net, mosquitto.host, mosquitto.port, telemetry_interval_s=600)
    slow.start()
    try:
        first = probe.wait_for(lambda m: m.topic == topic(SITE, Kind.LIGHT, "den-02", Channel.TELEMETRY), 2)
        assert LightTelemetry.model_validate_json(first[0].payload).power_w == pytest.approx(0.5)
    finally:
        slow.stop()
        assert slow.closed.wait(5)


def test_lamp_failure_shows_in_events_and_power(light: LightSim, probe: Probe) -> None:
    send(probe, "on-1", state="ON", brightness=100)
    acks(probe, "on-1")
    light.fault = "lamp_failure"
    probe.wait_for(lambda m: m.topic == t(Channel.EVENT) and m.json()["event"] == "lamp_failure")
    probe.wait_for(lambda m: m.topic == t(Channel.TELEMETRY) and m.json()["level"] == 100
                   and m.json()["power_w"] < 1.0)


def test_ack_faults(light: LightSim, probe: Probe) -> None:
    light.fault = "no_ack"
    send(probe, "quiet-1", state="ON")
    probe.wait_for(lambda m: m.topic == t(Channel.STATE) and m.json()["state"] == "ON")
    with pytest.raises(AssertionError):
        acks(probe, "quiet-1", timeout=0.5)
    light.fault = "slow_ack"
    sent = time.monotonic()
    send(probe, "slow-1", state="OFF")
    acks(probe, "slow-1")
    assert time.monotonic() - sent >= 0.35
    light.fault = "relay_stuck"
    send(probe, "stuck-1", state="ON")
    stuck = acks(probe, "stuck-1")[0]
    assert (stuck.ok, stuck.error, stuck.state) == (False, "relay_stuck", "OFF")
    with pytest.raises(ValueError, match="unknown"):
        light.fault = "amp_fault"


def test_a_stuck_relay_reports_the_actual_state_and_keeps_drawing_when_told_off(light: LightSim, probe: Probe) -> None:
    send(probe, "on-1", state="ON", brightness=100)
    acks(probe, "on-1")
    light.fault = "relay_stuck"
    send(probe, "off-1", state="OFF")
    stuck = acks(probe, "off-1")[0]
    assert (stuck.ok, stuck.error, stuck.state) == (False, "relay_stuck", "ON")
    probe.wait_for(lambda m: m.topic == t(Channel.EVENT) and m.json()["event"] == "relay_fault")
    state = LightState.model_validate_json(probe.on(t(Channel.STATE))[-1].payload)
    assert (state.state, state.mode) == ("ON", "manual")  # actual: still lit, so the app shows it on
    # The hub's relay-fault detector: commanded level 0, but the lamp draws power.
    probe.wait_for(lambda m: m.topic == t(Channel.TELEMETRY) and m.json()["level"] == 0
                   and m.json()["power_w"] > 40)
    light.fault = None
    probe.wait_for(lambda m: m.topic == t(Channel.EVENT) and m.json()["event"] == "restored")
    probe.wait_for(lambda m: m.topic == t(Channel.STATE) and m.json()["state"] == "OFF")
