"""The telemetry store failing under the hub (`python -m hub serve`) with a real influxd 1.x: stopped and
started again with and without traffic, answering 500 or 429, refusing one poison point of a batch.

Every test counts with the ledger: what the broker acknowledged to the devices must all be in influxd,
once, after the store is back; and /healthz must say "degraded" while it is not.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.contract import topic
from devices.light import LightTelemetry
from devices.site import Site
from tests.hub.sites import load_site
from tests.support.faults import report, settle, sized
from tests.support.hubproc import HubProcess
from tests.support.influxd import InfluxD
from tests.support.ledger import TELEMETRY, Row, influx_rows
from tests.support.mosquitto import Mosquitto
from tests.support.publisher import Publisher
from tests.support.sitefile import write_site
from tests.support.storeproxy import StoreProxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
DB = "hamlet"
OUTAGE_S = sized(6.0, 60.0)
RATE = 200.0  # through the outage: one reading per device every 0.1 s


@pytest.fixture
def site() -> Site:
    return load_site(20)


StartHub = Callable[[str], HubProcess]


@pytest.fixture
def start_hub(tmp_path: Path, mosquitto: Mosquitto, site: Site) -> Iterator[StartHub]:
    started: list[HubProcess] = []

    def start(influx_url: str) -> HubProcess:
        hub = HubProcess(tmp_path / "hub", write_site(site, tmp_path / "site.toml"), mosquitto.url, influx_url)
        hub.start()
        started.append(hub)
        eventually(lambda: hub.ok("broker") and hub.ok("store"), 30, "the hub connected to broker and store")
        return hub

    yield start
    for hub in started:
        hub.stop()


@pytest.fixture
def pub(mosquitto: Mosquitto, site: Site) -> Iterator[Publisher]:
    p = Publisher(mosquitto.host, mosquitto.port, site.id)
    yield p
    p.close()


@pytest.fixture
def proxy(influxd: InfluxD) -> Iterator[StoreProxy]:
    p = StoreProxy(influxd.host, influxd.port)
    yield p
    p.close()


def stored(influxd: InfluxD) -> list[Row]:
    return influx_rows(influxd.url, DB, TELEMETRY)


def publish_through(pub: Publisher, devices: list[str], seconds: float, first_seq: int) -> threading.Thread:
    per_device = int(seconds * RATE / len(devices))
    sender = threading.Thread(target=pub.telemetry, args=(devices, per_device, RATE), kwargs={"first_seq": first_seq})
    sender.start()
    return sender


def test_influxd_stopped_without_traffic_degrades_healthz_then_recovers(
    start_hub: StartHub, influxd: InfluxD, pub: Publisher, site: Site,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub = start_hub(influxd.url)
    devices = [d.id for d in site.devices]
    influxd.stop()
    # No message arrives, so no write fails: only the hub's own ping of the store can notice.
    eventually(hub.degraded, 30, "/healthz degraded with influxd stopped and no traffic")
    assert not hub.ok("store")
    time.sleep(OUTAGE_S)
    assert hub.degraded()
    influxd.start()
    eventually(lambda: not hub.degraded(), 40, "/healthz ok again once influxd is back")
    pub.wait_acked(pub.telemetry(devices, 20))
    verdict = settle(pub.ledger, lambda: stored(influxd), 30)
    report(capsys, "influxd stopped and restarted without traffic, then 400 readings", verdict)
    assert verdict.exact, verdict.explain()


def test_influxd_stopped_under_traffic_loses_nothing(
    start_hub: StartHub, influxd: InfluxD, pub: Publisher, site: Site,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub = start_hub(influxd.url)
    devices = [d.id for d in site.devices]
    pub.wait_acked(pub.telemetry(devices, 50))
    eventually(lambda: settle(pub.ledger, lambda: stored(influxd), 0).lost == 0, 30, "the first readings stored")
    influxd.stop()
    sender = publish_through(pub, devices, OUTAGE_S, first_seq=50)
    eventually(hub.degraded, 20, "/healthz degraded while influxd is down")
    sender.join(OUTAGE_S + 60)
    assert hub.degraded() and not hub.ok("store")
    influxd.start()
    verdict = settle(pub.ledger, lambda: stored(influxd), 60)
    report(capsys, f"influxd stopped {OUTAGE_S:g} s under traffic", verdict)
    assert verdict.sent == pub.acked
    assert verdict.exact, verdict.explain()
    eventually(lambda: not hub.degraded(), 30, "/healthz ok once the outbox drained")


@pytest.mark.parametrize("fault", ["500", "429", "500-after-write"])
def test_store_answering_errors_loses_and_duplicates_nothing(
    fault: str, start_hub: StartHub, influxd: InfluxD, proxy: StoreProxy,
    pub: Publisher, site: Site, capsys: pytest.CaptureFixture[str],
) -> None:
    hub = start_hub(proxy.url)
    devices = [d.id for d in site.devices]
    pub.wait_acked(pub.telemetry(devices, 20))
    eventually(lambda: settle(pub.ledger, lambda: stored(influxd), 0).lost == 0, 30, "the first readings stored")
    proxy.switch(fault)
    sender = publish_through(pub, devices, OUTAGE_S, first_seq=20)
    eventually(hub.degraded, 20, f"/healthz degraded while the store answers {fault}")
    sender.join(OUTAGE_S + 60)
    proxy.switch("pass")
    verdict = settle(pub.ledger, lambda: stored(influxd), 60)
    report(capsys, f"store answering {fault} for {OUTAGE_S:g} s ({proxy.refused} writes refused)", verdict)
    assert proxy.refused > 0
    assert verdict.exact, verdict.explain()
    eventually(lambda: not hub.degraded(), 30, "/healthz ok once the store answers again")


def seed_string_field(influxd: InfluxD, ts_ms: int) -> None:
    """Make `temperature_c` a string field in the light measurement's shard: a float there is refused."""
    create = urllib.parse.urlencode({"q": f"CREATE DATABASE {DB}"}).encode()
    urllib.request.urlopen(f"{influxd.url}/query", create, timeout=10).close()
    line = f'light,device=seed-00000 temperature_c="hot" {ts_ms}'.encode()
    urllib.request.urlopen(f"{influxd.url}/write?db={DB}&precision=ms", line, timeout=10).close()


def dead_letters(hub: HubProcess) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(f"file:{hub.data_dir / 'outbox.sqlite3'}?mode=ro", uri=True, timeout=30)
    try:
        return [(str(t), str(r), str(d)) for t, r, d in db.execute("SELECT topic, reason, detail FROM dead_letters")]
    finally:
        db.close()


def test_one_poison_point_is_dead_lettered_and_the_rest_of_its_batch_written(
    start_hub: StartHub, influxd: InfluxD, proxy: StoreProxy, pub: Publisher,
    site: Site, capsys: pytest.CaptureFixture[str],
) -> None:
    now = time.time_ns() // 1_000_000
    seed_string_field(influxd, now)
    hub = start_hub(proxy.url)
    devices = [d.id for d in site.devices]
    # The poison goes out between two halves of one burst, so it shares its batch with good readings.
    first = pub.telemetry(devices, 25, start_ts=now - 1000)
    poison = LightTelemetry(ts=now, seq=25, power_w=40.0, voltage_v=220.0, energy_wh=1.0, level=100,
                            temperature_c=31.5).model_dump_json().encode()
    pub.raw(topic(site.id, "light", devices[2], "telemetry"), poison)  # not in the ledger: it cannot be stored
    second = pub.telemetry(devices, 25, start_ts=now - 1000, first_seq=26)
    pub.wait_acked(first + 1 + second)
    verdict = settle(pub.ledger, lambda: stored(influxd), 60)
    report(capsys, "one poison point among 1,000 readings", verdict)
    assert verdict.exact, verdict.explain()
    eventually(lambda: len(dead_letters(hub)) == 1, 30, "the poison point dead-lettered")
    (where, _reason, detail), = dead_letters(hub)
    assert devices[2] in where and "temperature_c" in detail, (where, detail)
    assert (devices[2], 25) not in {(d, s) for d, s, _ in stored(influxd)}
    # Never retried forever: once the outbox is empty, the hub stops writing.
    eventually(lambda: (hub.health() or {}).get("outbox_depth") == 0, 30, "the outbox drained")
    writes = proxy.writes
    time.sleep(3.0)
    assert proxy.writes - writes <= 1, "the hub keeps writing with nothing new to write"
    assert not hub.degraded()
