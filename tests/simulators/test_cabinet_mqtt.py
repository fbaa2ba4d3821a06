"""A power cabinet loses its mains against a real mosquitto: its lights drop off together (the broker
publishes each last will), the other cabinet's lights stay, and all come back together when power returns."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.contract import Channel, Kind, topic
from simulators import control
from simulators.cli import main
from simulators.fleet import Fleet, run_fleet
from tests.simulators.conftest import SITE
from tests.simulators.probe import Probe, Received
from tests.simulators.sites import small_site
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.integration
ON_TU_1 = ["den-01", "den-03", "den-05"]  # round-robin over two cabinets
ON_TU_2 = ["den-02", "den-04"]


def availability(device: str) -> str:
    return topic(SITE, Kind.LIGHT, device, Channel.AVAILABILITY)


def texts(probe: Probe, device: str) -> list[str]:
    return [m.text for m in probe.on(availability(device))]


def on_topic(name: str, text: str | None = None) -> Callable[[Received], bool]:
    return lambda m: m.topic == name and (text is None or m.text == text)


def wait_all(probe: Probe, devices: list[str], text: str, count: int = 1) -> None:
    for device in devices:
        probe.wait_for(on_topic(availability(device), text), count=count)


def test_a_cabinet_power_cut_drops_its_lights_together_and_they_return_together(
    mosquitto: Mosquitto, probe: Probe
) -> None:
    fleet = Fleet(small_site(lights=5, speakers=0, cameras=0, cabinets=2), mosquitto.host, mosquitto.port,
                  telemetry_interval_s=60)
    assert fleet.start(wait_s=5)
    try:
        wait_all(probe, ON_TU_1 + ON_TU_2, "online")
        assert fleet.set_cabinet_power("tu-1", False) == ON_TU_1
        wait_all(probe, ON_TU_1, "offline")
        assert all(not fleet.device(d).closed.is_set() for d in ON_TU_1)  # the broker's wills, no clean exit
        assert all(texts(probe, d) == ["online"] for d in ON_TU_2)
        assert not fleet.device("den-01").powered and fleet.device("den-02").powered

        fleet.set_cabinet_power("tu-1", True)
        wait_all(probe, ON_TU_1, "online", count=2)
        for device in ON_TU_1:  # back with its state and a fresh reading at once, not after an interval
            probe.wait_for(on_topic(topic(SITE, Kind.LIGHT, device, Channel.TELEMETRY)), count=2)
        with pytest.raises(KeyError, match="tu-9"):
            fleet.set_cabinet_power("tu-9", False)
    finally:
        assert fleet.stop()


def test_network_loss_and_power_loss_stack(mosquitto: Mosquitto, probe: Probe) -> None:
    """A light whose network is down stays off the air when power returns, until the network is back."""
    fleet = Fleet(small_site(lights=1, speakers=0, cameras=0, cabinets=1), mosquitto.host, mosquitto.port,
                  telemetry_interval_s=60)
    assert fleet.start(wait_s=5)
    try:
        fleet.set_offline("den-01", True)
        probe.wait_text(availability("den-01"), "offline")
        fleet.set_cabinet_power("tu-1", False)
        fleet.set_cabinet_power("tu-1", True)
        time.sleep(0.5)
        assert texts(probe, "den-01") == ["online", "offline"] and not fleet.device("den-01").connected.is_set()
        fleet.set_offline("den-01", False)
        probe.wait_for(on_topic(availability("den-01"), "online"), count=2)
    finally:
        fleet.stop()


@pytest.fixture
def running(mosquitto: Mosquitto, probe: Probe, tmp_path: Path) -> Iterator[Path]:
    path, stop = tmp_path / "ctl.sock", threading.Event()
    site = small_site(lights=3, speakers=0, cameras=0, cabinets=2)
    thread = threading.Thread(target=run_fleet, args=(site, mosquitto.host, mosquitto.port, stop),
                              kwargs={"control_path": path, "telemetry_interval_s": 60})
    thread.start()
    try:
        wait_all(probe, ["den-01", "den-02", "den-03"], "online")
        yield path
    finally:
        stop.set()
        thread.join(10)


def test_the_control_socket_and_the_cli_cut_a_cabinet(
    running: Path, probe: Probe, capsys: pytest.CaptureFixture[str]
) -> None:
    assert control.request(running, {"cabinet": "tu-1", "power": False}) == {"ok": True, "lights": ["den-01", "den-03"]}
    wait_all(probe, ["den-01", "den-03"], "offline")
    listed = {d["device"]: d for d in control.request(running, {"list": True})["devices"]}
    assert (listed["den-01"]["powered"], listed["den-01"]["cabinet"]) == (False, "tu-1")
    assert not control.request(running, {"cabinet": "tu-1", "power": "off"})["ok"]
    assert "tu-7" in control.request(running, {"cabinet": "tu-7", "power": True})["error"]

    assert main(["cabinet", "--control", str(running), "tu-1", "on"]) == 0
    assert "tu-1: power on, 2 lights: den-01 den-03" in capsys.readouterr().out
    wait_all(probe, ["den-01", "den-03"], "online", count=2)
    assert main(["status", "--control", str(running)]) == 0
    assert "tu-2" in capsys.readouterr().out
    assert main(["cabinet", "--control", str(running), "tu-7", "off"]) == 1
    assert "tu-7" in capsys.readouterr().err
