"""Devices whose clocks are hours off, count seconds, or stand still: every reading is kept, once, in both
the embedded SQLite store and a real influxd 1.x, with the hub as a real process.

Readings of one device that share a timestamp must not overwrite each other (the stored key carries the
device's seq), a clock within the bounds keeps the device's own time, and a clock outside them is replaced
by one per-device offset, so a device's replaced times are still distinct and in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hub.sites import load_site
from tests.support.faults import report, settle, sized
from tests.support.hubproc import HubProcess
from tests.support.ledger import TELEMETRY, Row, influx_rows, sqlite_rows
from tests.support.mosquitto import Mosquitto
from tests.support.publisher import Publisher
from tests.support.sitefile import write_site
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
HOUR_MS = 3_600_000
PER_DEVICE = sized(200, 2000)
NOW = time.time_ns() // 1_000_000

# device -> its clock: the ts it puts on message `seq` (ids load-00001.. from load_site)
CLOCKS: dict[str, Callable[[int], int]] = {
    "load-00001": lambda seq: NOW + seq,  # right
    "load-00002": lambda seq: NOW + 3 * HOUR_MS + seq,  # hours ahead: replaced
    "load-00003": lambda seq: NOW - 3 * HOUR_MS + seq,  # hours behind: within the 7-day bound, kept
    "load-00004": lambda seq: NOW // 1000 + seq // 100,  # seconds since the epoch, 100 readings a second
    "load-00005": lambda seq: NOW - 2000,  # frozen, within the bounds: every reading at the same ms
    "load-00006": lambda seq: 1_577_836_800_000,  # frozen years ago (2020-01-01): replaced
    "load-00007": lambda seq: 86_400_000 + seq,  # reset to 1970 after a power cut: replaced
}
KEEPS_ITS_TIME = {"load-00001", "load-00003", "load-00005"}


@pytest.mark.parametrize("store", ["sqlite", "influxdb1"])
def test_wrong_clocks_lose_and_duplicate_nothing(
    store: str, tmp_path: Path, mosquitto: Mosquitto, request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = load_site(len(CLOCKS))
    if store == "influxdb1":
        influxd = request.getfixturevalue("influxd")
        url = influxd.url

        def rows() -> list[Row]:
            return influx_rows(url, "hamlet", TELEMETRY)
    else:
        url = ""

        def rows() -> list[Row]:
            return sqlite_rows(tmp_path / "hub" / "telemetry.sqlite3")

    hub = HubProcess(tmp_path / "hub", write_site(site, tmp_path / "site.toml"), mosquitto.url, url)
    hub.start()
    pub = Publisher(mosquitto.host, mosquitto.port, site.id)
    try:
        eventually(lambda: hub.ok("broker"), 30, "the hub subscribed")
        sent = pub.telemetry(sorted(CLOCKS), PER_DEVICE, rate=2000.0,
                             clock=lambda device, seq: CLOCKS[device](seq))
        pub.wait_acked(sent)
        verdict = settle(pub.ledger, rows, 60)
    finally:
        pub.close()
        hub.stop()
    report(capsys, f"clocks hours off, in seconds, frozen ({store})", verdict)
    assert verdict.sent == len(CLOCKS) * PER_DEVICE
    assert verdict.exact, verdict.explain()
    assert not verdict.retimed & KEEPS_ITS_TIME, "a clock within the bounds lost the device's own time"
    assert {"load-00002", "load-00006", "load-00007"} <= verdict.retimed, "a clock out of bounds was kept"
    by_device: dict[str, list[tuple[int, int]]] = {}
    for device, seq, t in rows():
        by_device.setdefault(device, []).append((seq, t))
    for device in ("load-00002", "load-00006", "load-00007"):
        times = [t for _, t in sorted(by_device[device])]
        assert times == sorted(times), f"{device}: replaced times out of the device's own order"
