"""The telemetry path for real: mosquitto -> hub -> influxd 1.x. Nothing lost, nothing duplicated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.contract import topic
from devices.site import Site
from hub.runtime import Hub, build_hub
from hub.settings import load_settings
from simulators.load import publish_load
from tests.hub.sites import load_site
from tests.support.hubproc import HubProcess
from tests.support.influxd import InfluxD
from tests.support.influxq import seqs_by_device
from tests.support.mosquitto import Mosquitto
from tests.support.publisher import Publisher, telemetry_payload
from tests.support.sitefile import write_site
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
DB = "hamlet"


def landed(influxd: InfluxD) -> dict[str, list[int]]:
    return seqs_by_device(influxd.url, DB)


def total(influxd: InfluxD) -> int:
    return sum(len(v) for v in landed(influxd).values())


def assert_exactly_once(influxd: InfluxD, site: Site, per_device: int) -> None:
    by_device = landed(influxd)
    assert set(by_device) == {d.id for d in site.devices}
    for device, seqs in by_device.items():
        assert seqs == list(range(per_device)), f"{device}: lost or duplicated seqs"


@pytest.fixture
def hub_factory(tmp_path: Path, mosquitto: Mosquitto, influxd: InfluxD) -> Iterator[Callable[[Site], Hub]]:
    started: list[Hub] = []

    def make(site: Site) -> Hub:
        settings = load_settings({}, data_dir=tmp_path / "hub", mqtt_url=mosquitto.url, influx_url=influxd.url,
                                 mqtt_client_id="hub-test")
        hub = build_hub(settings, site)
        hub.start()
        started.append(hub)
        assert hub.bus.wait_connected(10)
        return hub

    yield make
    for hub in started:
        hub.stop()


@pytest.fixture
def publisher(mosquitto: Mosquitto) -> Iterator[Callable[[str], Publisher]]:
    made: list[Publisher] = []

    def make(site_id: str) -> Publisher:
        p = Publisher(mosquitto.host, mosquitto.port, site_id)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def test_every_message_from_simulated_devices_lands_in_influxd_exactly_once(
    hub_factory: Callable[[Site], Hub], mosquitto: Mosquitto, influxd: InfluxD
) -> None:
    site = load_site(50)
    hub = hub_factory(site)
    result = publish_load(mosquitto.host, mosquitto.port, site.id, devices=50, messages=5000, clients=3)
    assert result.acked == 5000
    eventually(lambda: total(influxd) >= 5000, 60, "5000 points in influxd")
    by_device = landed(influxd)
    assert {d: seqs[-1] for d, seqs in by_device.items()} == result.per_device_last_seq
    assert_exactly_once(influxd, site, 100)
    assert hub.outbox.depth() == 0
    assert hub.metrics.rejected.total() == 0


def test_bad_messages_are_dead_lettered_and_the_next_good_one_lands(
    hub_factory: Callable[[Site], Hub], publisher: Callable[[str], Publisher], influxd: InfluxD
) -> None:
    site = load_site(2)
    hub = hub_factory(site)
    pub = publisher(site.id)
    t = topic(site.id, "light", "load-00001", "telemetry")
    pub.raw(t, b'{"ts": 1, "seq": ')  # malformed
    pub.raw(t, b"{" + b" " * 20_000 + b"}")  # oversized (over the hub's 16 KiB limit)
    pub.raw(t, telemetry_payload(0, 1).replace(b'"power_w":40.0', b'"power_w":"forty"'))  # wrong type
    pub.raw(topic(site.id, "light", "den-404", "telemetry"), telemetry_payload(0, 1))  # unknown device
    now = time.time_ns() // 1_000_000
    pub.raw(t, telemetry_payload(7, now))  # good
    pub.wait_acked(5)
    eventually(lambda: "load-00001" in landed(influxd), 20, "the good message in influxd")
    assert landed(influxd)["load-00001"] == [7]
    reasons = {d.reason: d.detail for d in hub.outbox.dead_letters()}
    assert set(reasons) == {"malformed", "oversized", "invalid", "unknown_device"}
    assert "power_w" in reasons["invalid"]
    assert "den-404" in reasons["unknown_device"]
    assert hub.metrics.rejected.total() == 4


def test_hub_killed_mid_stream_and_restarted_loses_nothing(
    tmp_path: Path, mosquitto: Mosquitto, influxd: InfluxD, publisher: Callable[[str], Publisher]
) -> None:
    site = load_site(20)
    proc = HubProcess(tmp_path / "hubproc", write_site(site, tmp_path / "site.toml"), mosquitto.url, influxd.url)
    proc.start()
    try:
        pub = publisher(site.id)
        devices = [d.id for d in site.devices]
        per_device = 400  # 8,000 messages at ~2,000/s: the kill lands mid-stream
        sender = threading.Thread(target=pub.telemetry, args=(devices, per_device, 2000.0))
        sender.start()
        time.sleep(1.5)
        proc.kill()
        assert total(influxd) < len(devices) * per_device  # the kill really was mid-stream
        time.sleep(1.0)
        proc.start()
        sender.join(timeout=60)
        pub.wait_acked(len(devices) * per_device)
        eventually(lambda: total(influxd) >= len(devices) * per_device, 90, "every point after the restart")
        assert_exactly_once(influxd, site, per_device)
    finally:
        proc.stop()


def test_store_stopped_for_a_minute_loses_nothing(
    hub_factory: Callable[[Site], Hub], publisher: Callable[[str], Publisher], influxd: InfluxD
) -> None:
    site = load_site(10)
    hub = hub_factory(site)
    pub = publisher(site.id)
    devices = [d.id for d in site.devices]
    base = time.time_ns() // 1_000_000 - 100_000
    first = pub.telemetry(devices, per_device=50, start_ts=base)
    pub.wait_acked(first)
    eventually(lambda: total(influxd) >= first, 30, "the first half in influxd")
    influxd.stop()
    # Keep publishing through the outage: points wait in the hub's outbox, not in the broker.
    for second in range(60):
        pub.telemetry(devices, per_device=1, start_ts=base, first_seq=50 + second)  # one more per device a second
        time.sleep(1.0)
    assert not hub.writer.store_ok
    assert hub.outbox.depth() > 0
    influxd.start()
    expected = len(devices) * 110
    eventually(lambda: total(influxd) >= expected, 60, "the outbox drained after the store came back")
    by_device = landed(influxd)
    assert all(len(set(v)) == len(v) == 110 for v in by_device.values())
    assert hub.outbox.depth() == 0
