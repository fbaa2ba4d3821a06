"""Street lights end to end on a real mosquitto with simulated lights: group commands and their roll-up,
a light that returns, overrides that end, schedules that run with the hub stopped, faults that open and
close, and a resident who cannot switch anything.

An override's end and a sunset are reached on a controlled clock (tests/lights/clockrig.py), moved by the
test: the lights and the hub's lights services read it, so nothing waits for the wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from astral import Observer
from astral.sun import sunset

from devices.contract import PREFIX, Channel, Kind, hub_availability_topic, topic
from devices.light import LightConfig
from hub.auth.principal import Role
from hub.lights.faults.detect import FaultKind
from hub.lights.faults.store import Fault
from simulators.fleet import Fleet
from simulators.stamp import now_ms
from tests.auth.clients import bearer
from tests.lights.clockrig import clocked_fleet, clocked_rig
from tests.lights.mqttlight import ContractLight
from tests.lights.mqttrig import MqttRig, mqtt_rig, sim_fleet
from tests.lights.sites import hamlet
from tests.simulators.clock import MINUTE, ControlledClock
from tests.simulators.probe import Probe, Received
from tests.support.mosquitto import Mosquitto
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
SITE = hamlet()
NGO3 = {"group": "ngo-3"}


@pytest.fixture
def rig(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[MqttRig]:
    with mqtt_rig(tmp_path, mosquitto, SITE) as r:
        yield r


def test_a_group_command_reaches_every_online_light_and_the_roll_up_is_right(rig: MqttRig) -> None:
    rig.fleet.inject("den-7", "no_ack")
    done = rig.wait_done(rig.command({"target": NGO3, "on": True, "brightness": 80}))
    rollup = done["rollup"]
    assert isinstance(rollup, dict)
    assert rollup["vi"] == "Ngõ 3: 11/12 đèn đã bật 80% — đèn 7 không phản hồi"
    assert rollup["en"] == "Ngõ 3: 11/12 lights on at 80% — Đèn 7 not responding"
    for i in range(1, 13):
        live = rig.hub.registry.get(f"den-{i}")
        assert live is not None and live.state["state"] == "ON" and live.state["brightness"] == 80
    road = rig.hub.registry.get("duong-den-1")
    assert road is not None and road.state["state"] == "OFF"  # not in the alley


def test_an_offline_light_gets_the_command_when_it_returns(rig: MqttRig) -> None:
    rig.fleet.set_offline("den-5", True)
    eventually(lambda: not rig.hub.registry.get("den-5").online)  # type: ignore[union-attr]
    command_id = rig.command({"target": NGO3, "on": True})
    eventually(lambda: rig.result(command_id)["rollup"]["vi"]  # type: ignore[index]
               == "Ngõ 3: 11/12 đèn đã bật — đèn 5 đang chờ kết nối lại", 10)
    rig.fleet.set_offline("den-5", False)
    done = rig.wait_done(command_id)
    assert done["rollup"]["ok"] is True  # type: ignore[index]


def test_an_offline_light_never_gets_a_command_that_expired_while_it_was_away(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    start = now_ms()
    clock = ControlledClock(start)
    set_topic = topic(SITE.id, Kind.LIGHT, "den-5", Channel.SET)
    with clocked_rig(tmp_path, mosquitto, SITE, clock) as rig, Probe(mosquitto.host, mosquitto.port,
                                                                       [set_topic]) as probe:
        rig.fleet.set_offline("den-5", True)
        eventually(lambda: not rig.hub.registry.get("den-5").online)  # type: ignore[union-attr]
        command_id = rig.command({"target": {"device": "den-5"}, "on": True, "expires_in_minutes": 1})
        assert rig.result(command_id)["lights"][0]["status"] == "queued"  # type: ignore[index]
        clock.set(start + MINUTE + 1_000)  # the light is still away when the command's minute is up
        done = rig.wait_done(command_id, 10)
        assert done["lights"][0]["status"] == "expired"  # type: ignore[index]
        rig.fleet.set_offline("den-5", False)
        eventually(lambda: rig.hub.registry.get("den-5").online, 10)  # type: ignore[union-attr]
        time.sleep(1.0)  # time enough for a (wrong) re-send on return
        assert probe.messages == []  # nothing was ever published to the light
        light = rig.hub.registry.get("den-5")
        assert light is not None and light.state["state"] == "OFF"


def test_an_override_returns_to_the_schedule_when_it_ends(tmp_path: Path, mosquitto: Mosquitto) -> None:
    start = now_ms()
    clock = ControlledClock(start)  # the hub's lights and the simulated lights both read it
    state = topic(SITE.id, Kind.LIGHT, "den-2", Channel.STATE)
    with clocked_rig(tmp_path, mosquitto, SITE, clock) as rig, Probe(mosquitto.host, mosquitto.port, [state]) as probe:
        command_id = rig.command({"target": {"device": "den-2"}, "on": True, "for_minutes": 1})
        done = rig.wait_done(command_id)
        assert done["rollup"]["ok"] is True  # type: ignore[index]
        assert done["override_until_ms"] == start + MINUTE  # a minute from the light's confirmation
        light = rig.hub.registry.get("den-2")
        assert light is not None and (light.state["state"], light.state["mode"]) == ("ON", "override")
        override = probe.wait_for(lambda m: m.json()["mode"] == "override")[0]

        def phase() -> object:
            return rig.result(command_id)["lights"][0]["override"]  # type: ignore[index]

        assert phase() == "active"
        clock.set(start + MINUTE - 1_000)  # a second before the end: the override holds, on the light and the hub
        time.sleep(0.5)  # several clock checks of the light and ticks of the hub
        assert (light.state["state"], light.state["mode"]) == ("ON", "override") and phase() == "active"
        assert [m for m in probe.messages if m.json()["seq"] > override.json()["seq"]] == []

        clock.set(start + MINUTE + 1_000)  # past the end on the light's own clock: it returns by itself
        back = probe.wait_for(lambda m: m.json()["seq"] > override.json()["seq"] and m.json()["mode"] == "schedule")
        assert back[0].json()["state"] == "OFF"
        assert back[0].json()["ts"] >= start + MINUTE  # stamped by the light's own clock
        eventually(lambda: light.state["mode"] == "schedule", 5)
        assert light.state["state"] == "OFF"  # what its (empty) schedule says
        assert phase() == "active"  # the hub still allows the light its grace (3 s here)

        clock.set(start + MINUTE + 4_000)  # past the grace: the hub sees the light back on its schedule
        eventually(lambda: phase() == "returned", 5)
        assert (light.state["state"], light.state["mode"]) == ("OFF", "schedule")


def next_sunset(after_ms: int) -> int:
    """The site's first sunset more than five minutes after `after_ms`, from astral (to the second, as the
    hub resolves it), in ms."""
    tz = ZoneInfo(SITE.timezone)
    observer = Observer(SITE.position.lat, SITE.position.lon)
    day = datetime.fromtimestamp(after_ms / 1000, tz).date()
    for shift in range(2):
        moment = sunset(observer, day + timedelta(days=shift), tzinfo=tz).replace(microsecond=0)
        if int(moment.timestamp() * 1000) > after_ms + 5 * MINUTE:
            return int(moment.timestamp() * 1000)
    raise AssertionError("no sunset within two days")


def since(mark: dict[str, int], device: str, channel: Channel, **expected: object) -> Callable[[Received], bool]:
    """A light's message on `channel` after its message `mark[device]` (by seq), with the fields `expected`."""
    where = topic(SITE.id, Kind.LIGHT, device, channel)

    def match(m: Received) -> bool:
        if m.topic != where:
            return False
        body = m.json()
        return bool(body["seq"] > mark[device]) and all(body[k] == v for k, v in expected.items())

    return match


def test_with_the_hub_stopped_the_lights_still_switch_at_the_scheduled_sunset(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    clock = ControlledClock(now_ms())  # every simulated light's clock
    dusk = next_sunset(clock())
    alley = [d.id for d in SITE.devices if d.group == "ngo-3"]
    road = [d.id for d in SITE.devices if d.group == "duong-1"]
    fleet = clocked_fleet(mosquitto, SITE, clock)
    try:
        with clocked_rig(tmp_path, mosquitto, SITE, clock, fleet=fleet) as rig:
            presets = rig.client.get("/api/lights/schedules/presets", headers=rig.head).json()
            by_the_sun = next(p["rule"] for p in presets if p["key"] == "theo-mat-troi")
            rule = {**by_the_sun, "target": "ngo-3"}  # on at 100% at sunset, off at sunrise
            assert rig.client.post("/api/lights/schedules", json=rule, headers=rig.head).status_code == 201

            def sync() -> list[dict[str, object]]:
                found: list[dict[str, object]] = rig.client.get("/api/lights/schedules/sync", headers=rig.head).json()
                return found

            eventually(lambda: all(s["in_sync"] for s in sync()), 10)
            version = {str(s["device"]): s["expected_version"] for s in sync()}
        # The hub has stopped; the lights are left with their retained configs and their own clocks.
        filters = [f"{PREFIX}/{SITE.id}/light/+/{c}" for c in ("config", "state", "event")]
        with Probe(mosquitto.host, mosquitto.port, [*filters, hub_availability_topic(SITE.id)]) as probe:
            probe.wait_text(hub_availability_topic(SITE.id), "offline")
            for device in alley + road:
                pushed = probe.on(topic(SITE.id, Kind.LIGHT, device, Channel.CONFIG))
                assert pushed and pushed[-1].retain
                config = LightConfig.model_validate_json(pushed[-1].payload)
                assert config.version == version[device]
                steps = [(s.at, s.brightness) for s in config.steps]
                if device in alley:  # the sunset astral gives for the site, and off until then
                    assert (dusk, 100) in steps, (dusk, steps)
                    assert steps[steps.index((dusk, 100)) - 1][1] == 0
                else:
                    assert all(b == 0 for _, b in steps)  # no rule reaches the road

            def latest(device: str) -> dict[str, Any]:
                states = probe.on(topic(SITE.id, Kind.LIGHT, device, Channel.STATE))
                return states[-1].json() if states else {}

            clock.set(dusk - MINUTE)  # the day before it: whatever the hour of the run, the lights are off
            eventually(lambda: all((latest(d).get("state"), latest(d).get("mode"), latest(d).get("config_version"))
                                   == ("OFF", "schedule", version[d]) for d in alley), 5)
            clock.set(dusk - 1_000)  # a second before sunset: still off
            time.sleep(0.5)  # several clock checks
            assert all(latest(d)["state"] == "OFF" for d in alley + road)
            mark = {d: int(latest(d)["seq"]) for d in alley + road}

            clock.set(dusk + 1_000)  # a second after sunset: each light switches on by itself
            for device in alley:
                on = probe.wait_for(since(mark, device, Channel.STATE, state="ON"))[0].json()
                assert (on["brightness"], on["mode"], on["config_version"]) == (100, "schedule", version[device])
                assert on["ts"] >= dusk  # stamped by the light's own clock
                probe.wait_for(since(mark, device, Channel.EVENT, event="schedule_applied"))
            time.sleep(0.3)
            assert not [m for d in road for m in probe.messages if since(mark, d, Channel.STATE, state="ON")(m)]
    finally:
        fleet.stop()


def test_a_lamp_failure_is_found_in_the_telemetry_and_closes_when_it_clears(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    """den-3 is driven by hand and never says it is broken: the hub must see it in what the lamp draws."""
    lamp = ContractLight(mosquitto, SITE.id, "den-3")
    others = SITE.model_copy(update={"devices": [d for d in SITE.devices if d.id != "den-3"]})

    def fleet() -> Fleet:
        lamp.start()
        return sim_fleet(mosquitto, others)

    def lamp_faults(rig: MqttRig, open_only: bool = True) -> list[Fault]:
        return [f for f in rig.hub.lights.faults.page(open_only=open_only, limit=50)
                if (f.kind, f.subject) == (FaultKind.LAMP_FAILURE, "den-3")]

    try:
        with mqtt_rig(tmp_path, mosquitto, SITE, make_fleet=fleet) as rig:
            for _ in range(3):
                lamp.telemetry(100, 44.0)  # healthy at full: it also teaches the hub the lamp's full power
            lamp.telemetry(100, 0.8)  # lit at 100% yet drawing what the controller alone draws
            lamp.telemetry(100, 0.8)
            eventually(lambda: len(lamp_faults(rig)) == 1, 10)
            fault = lamp_faults(rig)[0]
            assert fault.detail == {"power_w": 0.8, "level": 100}  # opened from telemetry, not from an event
            shown = rig.client.get("/api/lights/faults?open=true", headers=rig.head).json()
            assert [(f["kind"], f["subject"], f["vi"]) for f in shown] == [
                ("lamp_failure", "den-3", "Đèn 3: bóng đèn hỏng")
            ]
            lamp.telemetry(50, 20.0)  # repaired: dimmed to half it draws half
            lamp.telemetry(50, 20.0)
            eventually(lambda: lamp_faults(rig) == [], 10)
            closed = lamp_faults(rig, open_only=False)
            assert len(closed) == 1 and closed[0].closed_ms is not None
    finally:
        lamp.stop()


def test_faults_the_lights_report_and_a_power_cabinet_lost_together(rig: MqttRig) -> None:
    def open_faults() -> set[tuple[str, str]]:
        found = rig.client.get("/api/lights/faults?open=true", headers=rig.head).json()
        return {(f["kind"], f["subject"]) for f in found}

    assert rig.wait_done(rig.command({"target": {"device": "den-3"}, "on": True}))["rollup"]["ok"]  # type: ignore[index]
    rig.fleet.inject("den-3", "lamp_failure")  # the simulated light announces it (and its telemetry shows it)
    eventually(lambda: ("lamp_failure", "den-3") in open_faults(), 10)
    rig.fleet.inject("den-3", None)
    eventually(lambda: ("lamp_failure", "den-3") not in open_faults(), 10)
    for i in range(1, 9):  # tủ điện 1 loses power: all its lights drop together
        rig.fleet.set_offline(f"den-{i}", True)
    eventually(lambda: open_faults() == {("power_loss", "tu-1")}, 20)
    for i in range(1, 9):
        rig.fleet.set_offline(f"den-{i}", False)
    eventually(lambda: open_faults() == set(), 20)


def test_a_resident_gets_403_and_nothing_is_published(rig: MqttRig, mosquitto: Mosquitto) -> None:
    resident = bearer(rig.hub, Role.RESIDENT)
    with Probe(mosquitto.host, mosquitto.port, [f"{PREFIX}/{SITE.id}/light/+/set"]) as probe:
        refused = rig.client.post("/api/lights/commands", json={"target": {"all": True}, "on": True},
                                  headers=resident)
        assert refused.status_code == 403
        with pytest.raises(AssertionError):
            probe.wait_for(lambda m: True, timeout=1.5)
        assert probe.messages == []
