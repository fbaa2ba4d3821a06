"""Lights on their own clock against a real mosquitto, with no hub connected: the retained schedule switches
them at sunset, lights whose cabinet was cut across sunset come back on, and an override ends on the
light's clock and hands back to the schedule.

The clock is a ControlledClock given to Fleet(clock=...): the test moves it past sunset in one step, the
lights notice within clock_check_s and publish their new state.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract import Channel, Kind, hub_availability_topic, topic
from devices.light import LightConfig, ScheduleStep
from simulators.fleet import Fleet
from tests.simulators.clock import MINUTE, ControlledClock
from tests.simulators.conftest import SITE
from tests.simulators.probe import Probe, Received
from tests.simulators.sites import small_site
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.integration
LIGHTS = ("den-01", "den-02")
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = int(datetime(2026, 11, 22, 9, 0, tzinfo=HANOI).timestamp() * 1000)
SUNSET = int(datetime(2026, 11, 22, 17, 14, tzinfo=HANOI).timestamp() * 1000)
SUNRISE = int(datetime(2026, 11, 23, 6, 11, tzinfo=HANOI).timestamp() * 1000)


def t(device: str, channel: Channel) -> str:
    return topic(SITE, Kind.LIGHT, device, channel)


def state_of(device: str, **expected: object) -> Callable[[Received], bool]:
    def match(m: Received) -> bool:
        return m.topic == t(device, Channel.STATE) and all(m.json()[k] == v for k, v in expected.items())

    return match


def event_of(device: str, name: str) -> Callable[[Received], bool]:
    return lambda m: m.topic == t(device, Channel.EVENT) and m.json()["event"] == name


def after(first: Received, match: Callable[[Received], bool]) -> Callable[[Received], bool]:
    """`match`, among the messages received after `first`."""
    return lambda m: match(m) and m.json()["seq"] > first.json()["seq"]


def as_the_hub_then_gone(mosquitto: Mosquitto, config: LightConfig) -> None:
    """What the hub leaves behind when it stops: retained configs and its own availability `offline`."""
    hub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hamlet-hub", protocol=mqtt.MQTTv311)
    hub.connect(mosquitto.host, mosquitto.port)
    hub.loop_start()
    try:
        sent = [hub.publish(t(d, Channel.CONFIG), config.model_dump_json(), qos=1, retain=True) for d in LIGHTS]
        sent.append(hub.publish(hub_availability_topic(SITE), "offline", qos=1, retain=True))
        for info in sent:
            info.wait_for_publish(5)
    finally:
        hub.disconnect()
        hub.loop_stop()


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock(MORNING)


@pytest.fixture
def fleet(mosquitto: Mosquitto, probe: Probe, clock: ControlledClock) -> Iterator[Fleet]:
    running = Fleet(small_site(lights=2, speakers=0, cameras=0, cabinets=1), mosquitto.host, mosquitto.port,
                    telemetry_interval_s=60, clock=clock, clock_check_s=0.05)
    yield running
    running.stop()


def test_with_the_hub_gone_the_lights_switch_on_at_sunset_by_their_own_clock(
    mosquitto: Mosquitto, probe: Probe, fleet: Fleet, clock: ControlledClock
) -> None:
    night = LightConfig(version=5, steps=[ScheduleStep(at=SUNSET, brightness=100),
                                          ScheduleStep(at=SUNRISE, brightness=0)])
    as_the_hub_then_gone(mosquitto, night)
    assert fleet.start(wait_s=5)
    for device in LIGHTS:  # the retained config reached them; by day the schedule keeps them off
        probe.wait_for(state_of(device, state="OFF", config_version=5))
    time.sleep(0.3)  # several clock checks: nothing happens before sunset
    assert not [m for m in probe.messages if m.topic.endswith("/state") and m.json()["state"] == "ON"]

    clock.set(SUNSET + 1_000)
    for device in LIGHTS:
        on = probe.wait_for(state_of(device, state="ON", brightness=100, mode="schedule", config_version=5))[0]
        assert on.json()["ts"] >= SUNSET + 1_000  # stamped by the light's own clock
        probe.wait_for(event_of(device, "schedule_applied"))
    clock.set(SUNRISE + 1_000)
    for device in LIGHTS:
        probe.wait_for(state_of(device, state="OFF", mode="schedule"))


def test_lights_whose_cabinet_comes_back_after_sunset_come_back_on(
    mosquitto: Mosquitto, probe: Probe, fleet: Fleet, clock: ControlledClock
) -> None:
    as_the_hub_then_gone(mosquitto, LightConfig(version=2, steps=[ScheduleStep(at=SUNSET, brightness=100)]))
    assert fleet.start(wait_s=5)
    for device in LIGHTS:
        probe.wait_for(state_of(device, state="OFF", config_version=2))
    assert fleet.set_cabinet_power("tu-1", False) == list(LIGHTS)
    for device in LIGHTS:
        probe.wait_text(t(device, Channel.AVAILABILITY), "offline")
    clock.set(SUNSET + 60_000)  # sunset passes during the power cut: a dead controller switches nothing
    time.sleep(0.3)
    assert not [m for m in probe.messages if m.topic.endswith("/state") and m.json()["state"] == "ON"]
    fleet.set_cabinet_power("tu-1", True)
    for device in LIGHTS:  # back together, straight into what the schedule says now
        probe.wait_for(state_of(device, state="ON", brightness=100, mode="schedule", config_version=2))


def test_an_override_ends_on_the_lights_clock_and_the_schedule_resumes(
    mosquitto: Mosquitto, probe: Probe, fleet: Fleet, clock: ControlledClock
) -> None:
    as_the_hub_then_gone(mosquitto, LightConfig(version=1, steps=[ScheduleStep(at=MORNING - 60 * MINUTE,
                                                                              brightness=40)]))
    assert fleet.start(wait_s=5)
    probe.wait_for(state_of("den-01", state="ON", brightness=40, mode="schedule"))
    body = {"command_id": "tiec-cuoi", "ts": clock(), "state": "ON", "brightness": 100, "for_minutes": 120}
    probe.client.publish(t("den-01", Channel.SET), json.dumps(body), qos=1).wait_for_publish(5)
    override = probe.wait_for(state_of("den-01", brightness=100, mode="override"))[0]

    clock.advance(119 * MINUTE)
    time.sleep(0.3)  # several clock checks: the override still holds
    assert not [m for m in probe.messages if after(override, state_of("den-01"))(m)]
    clock.advance(2 * MINUTE)
    back = probe.wait_for(after(override, state_of("den-01", mode="schedule")))[0]
    assert (back.json()["state"], back.json()["brightness"]) == ("ON", 40)
    assert not [m for m in probe.messages if state_of("den-02", mode="override")(m)]  # only den-01 was told
