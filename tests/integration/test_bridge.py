"""The telemetry path for real: mosquitto -> hub -> influxd 1.x. Nothing lost, nothing duplicated.

The same path under crashes and outages is in test_faults_*.py, counted with the same ledger.
"""

from __future__ import annotations

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
from tests.support.faults import report, settle
from tests.support.influxd import InfluxD
from tests.support.influxq import seqs_by_device
from tests.support.ledger import TELEMETRY, Ledger, influx_rows
from tests.support.mosquitto import Mosquitto
from tests.support.publisher import Publisher, telemetry_payload
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
DB = "hamlet"


def landed(influxd: InfluxD) -> dict[str, list[int]]:
    return seqs_by_device(influxd.url, DB)


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
    hub_factory: Callable[[Site], Hub], mosquitto: Mosquitto, influxd: InfluxD, capsys: pytest.CaptureFixture[str]
) -> None:
    site = load_site(50)
    hub = hub_factory(site)
    ledger = Ledger()
    result = publish_load(mosquitto.host, mosquitto.port, site.id, devices=50, messages=5000, clients=3,
                          on_acked=ledger.record)
    assert result.acked == len(ledger) == 5000
    verdict = settle(ledger, lambda: influx_rows(influxd.url, DB, TELEMETRY), 60)
    report(capsys, "load generator, 50 devices, no fault", verdict)
    assert verdict.exact, verdict.explain()
    assert not verdict.retimed, "a device's own time was replaced"
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
