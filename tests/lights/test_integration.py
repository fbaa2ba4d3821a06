"""Street lights end to end on a real mosquitto with simulated lights: group commands and their roll-up,
a light that returns, overrides that end, schedules that run with the hub stopped, faults that open and
close, and a resident who cannot switch anything."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devices.contract import PREFIX, Channel, Kind, topic
from hub.auth.principal import Role
from tests.auth.clients import bearer
from tests.lights.apprig import eventually
from tests.lights.mqttrig import MqttRig, mqtt_rig, sim_fleet
from tests.lights.sites import hamlet
from tests.simulators.probe import Probe
from tests.support.mosquitto import Mosquitto

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


def test_an_override_returns_to_the_schedule_when_it_ends(rig: MqttRig) -> None:
    command_id = rig.command({"target": {"device": "den-2"}, "on": True, "for_minutes": 1})
    assert rig.wait_done(command_id)["rollup"]["ok"] is True  # type: ignore[index]
    light = rig.hub.registry.get("den-2")
    assert light is not None and light.state["mode"] == "override"
    # The light ends the override itself after a minute; the hub sees it back on its schedule.
    eventually(lambda: light.state["mode"] == "schedule", 75)
    eventually(lambda: rig.result(command_id)["lights"][0]["override"] == "returned", 10)  # type: ignore[index]
    assert light.state["state"] == "OFF"  # what its (empty) schedule says


def test_with_the_hub_stopped_the_lights_still_switch_at_the_scheduled_time(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    tz = ZoneInfo(SITE.timezone)
    now = datetime.now(tz)
    at = (now + timedelta(seconds=75 if now.second > 45 else 60)).replace(second=0, microsecond=0)
    rule = {"name": "Thử", "target": "ngo-3", "levels": [{"at": {"anchor": "clock", "time": at.strftime("%H:%M")},
                                                          "brightness": 70}],
            "until": {"anchor": "clock", "time": (at + timedelta(minutes=30)).strftime("%H:%M")}}
    state = topic(SITE.id, Kind.LIGHT, "den-1", Channel.STATE)
    fleet = sim_fleet(mosquitto, SITE)
    try:
        with mqtt_rig(tmp_path, mosquitto, SITE, fleet=fleet) as rig:
            assert rig.client.post("/api/lights/schedules", json=rule, headers=rig.head).status_code == 201
            eventually(lambda: all(s["in_sync"] for s in rig.client.get("/api/lights/schedules/sync",
                                                                         headers=rig.head).json()), 10)
        # The hub has stopped (its availability says offline); the lights run on their retained configs.
        with Probe(mosquitto.host, mosquitto.port, [state]) as probe:
            assert datetime.now(tz) < at
            found = probe.wait_for(lambda m: m.json()["state"] == "ON" and m.json()["brightness"] == 70, 90)
            assert found[0].json()["mode"] == "schedule" and datetime.now(tz) >= at
    finally:
        fleet.stop()


def test_faults_open_from_telemetry_and_close_when_they_clear(rig: MqttRig) -> None:
    def open_faults() -> set[tuple[str, str]]:
        found = rig.client.get("/api/lights/faults?open=true", headers=rig.head).json()
        return {(f["kind"], f["subject"]) for f in found}

    assert rig.wait_done(rig.command({"target": {"device": "den-3"}, "on": True}))["rollup"]["ok"]  # type: ignore[index]
    rig.fleet.inject("den-3", "lamp_failure")
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
