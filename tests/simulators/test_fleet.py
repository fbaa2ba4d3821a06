"""A fleet for a small site against a real mosquitto; run-time control through its unix socket."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.contract import Channel, Kind, ingest_filters, topic
from simulators import control
from simulators.cli import main
from simulators.fleet import Fleet, run_fleet
from tests.simulators.conftest import SITE
from tests.simulators.probe import Probe
from tests.simulators.sites import small_site
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.integration


def availability(kind: Kind, device: str) -> str:
    return topic(SITE, kind, device, Channel.AVAILABILITY)


SIMULATED = [(Kind.LIGHT, "den-01"), (Kind.LIGHT, "den-02"), (Kind.LIGHT, "den-03"),
             (Kind.SPEAKER, "loa-01"), (Kind.SPEAKER, "loa-02"), (Kind.CAMERA, "cam-01")]


def retained_availability(mosquitto: Mosquitto, expected: int) -> dict[str, str]:
    with Probe(mosquitto.host, mosquitto.port, ingest_filters(SITE)) as late:
        found = late.wait_for(lambda m: m.topic.endswith("/availability") and m.retain, count=expected)
    return {m.topic: m.text for m in found}


def test_a_fleet_starts_and_stops_cleanly(mosquitto: Mosquitto, probe: Probe) -> None:
    fleet = Fleet(small_site(), mosquitto.host, mosquitto.port, telemetry_interval_s=0.2)
    assert fleet.skipped == []  # every kind has a simulator
    assert fleet.start(wait_s=5)
    try:
        assert retained_availability(mosquitto, 6) == {availability(k, d): "online" for k, d in SIMULATED}
        probe.wait_for(lambda m: m.topic.endswith("/telemetry"), count=12)
    finally:
        assert fleet.stop()
    assert retained_availability(mosquitto, 6) == {availability(k, d): "offline" for k, d in SIMULATED}


def test_every_device_sends_telemetry_right_after_connecting(mosquitto: Mosquitto, probe: Probe) -> None:
    fleet = Fleet(small_site(lights=20, speakers=4, cameras=4), mosquitto.host, mosquitto.port,
                  telemetry_interval_s=600)  # an interval no test waits for
    assert fleet.start(wait_s=5)
    try:
        found = probe.wait_for(lambda m: m.topic.endswith("/telemetry"), timeout=3, count=28)
        assert len({m.topic for m in found}) == 28
    finally:
        assert fleet.stop()


def test_kinds_limits_what_is_simulated(mosquitto: Mosquitto) -> None:
    fleet = Fleet(small_site(), mosquitto.host, mosquitto.port, kinds=["speaker"])
    assert [d.device_id for d in fleet.devices] == ["loa-01", "loa-02"]
    with pytest.raises(KeyError, match="den-01"):
        fleet.device("den-01")
    fleet.stop()  # never started: nothing to do


@pytest.fixture
def running(mosquitto: Mosquitto, probe: Probe, tmp_path: Path) -> Iterator[Path]:
    """run_fleet in a thread, as a hub demo would; yields its control socket."""
    path, stop = tmp_path / "ctl.sock", threading.Event()
    thread = threading.Thread(target=run_fleet, args=(small_site(), mosquitto.host, mosquitto.port, stop),
                              kwargs={"control_path": path, "telemetry_interval_s": 0.2})
    thread.start()
    try:
        probe.wait_for(lambda m: m.topic.endswith("/availability") and m.text == "online", count=6)
        yield path
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive() and not path.exists()


def test_control_socket_steers_a_running_fleet(running: Path, probe: Probe) -> None:
    listed = control.request(running, {"list": True})
    assert {d["device"] for d in listed["devices"]} == {d for _, d in SIMULATED}
    assert {d["kind"] for d in listed["devices"]} == {"light", "speaker", "camera"}
    assert control.request(running, {"device": "cam-01", "fault": "stream_lost"}) == {"ok": True}
    probe.wait_for(lambda m: m.topic == topic(SITE, Kind.CAMERA, "cam-01", Channel.EVENT)
                   and m.json()["event"] == "stream_lost")
    assert control.request(running, {"device": "loa-01", "offline": True}) == {"ok": True}
    probe.wait_text(availability(Kind.SPEAKER, "loa-01"), "offline")
    assert control.request(running, {"device": "loa-01", "offline": False}) == {"ok": True}
    probe.wait_for(lambda m: m.topic == availability(Kind.SPEAKER, "loa-01") and m.text == "online", count=2)


def test_control_socket_refuses_what_it_cannot_do(running: Path) -> None:
    assert "not simulated" in control.request(running, {"device": "den-99", "fault": None})["error"]
    assert "unknown" in control.request(running, {"device": "den-01", "fault": "amp_fault"})["error"]
    assert not control.request(running, {"device": "den-01"})["ok"]
    assert not control.request(running, {"nonsense": 1})["ok"]


def test_cli_fault_offline_online_status(running: Path, probe: Probe, capsys: pytest.CaptureFixture[str]) -> None:
    ctl = ["--control", str(running)]
    assert main(["fault", *ctl, "den-01", "relay_stuck"]) == 0
    assert main(["offline", *ctl, "den-03"]) == 0
    probe.wait_text(availability(Kind.LIGHT, "den-03"), "offline")
    assert main(["status", *ctl]) == 0
    out = capsys.readouterr().out
    assert "relay_stuck" in out and "den-03" in out
    assert main(["online", *ctl, "den-03"]) == 0
    assert main(["fault", *ctl, "den-01", "none"]) == 0
    assert main(["fault", *ctl, "den-01", "melted"]) == 1
    assert "unknown" in capsys.readouterr().err
