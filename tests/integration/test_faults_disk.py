"""The hub's disk full under traffic: nothing acknowledged that was not committed, /healthz degraded while
it lasts, and everything stored once the space comes back.

The hub's data directory (outbox, embedded store, hub state) lives on a 32 MiB tmpfs the test fills to the
last byte (tests/support/smalldisk.py). The devices keep publishing; the broker acknowledges them to the
devices and keeps them for the hub's session, because the hub may not acknowledge what it could not commit.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.hub.sites import load_site
from tests.support.faults import report, settle, sized
from tests.support.hubproc import HubProcess
from tests.support.ledger import sqlite_rows
from tests.support.mosquitto import Mosquitto
from tests.support.publisher import Publisher
from tests.support.sitefile import write_site
from tests.support.smalldisk import fill, small_disk
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
FULL_S = sized(8.0, 60.0)
RATE = 500.0


def commits_failing(hub: HubProcess) -> bool:
    answer = hub.healthz()
    return answer is not None and answer[0] == 503 and hub.ok("outbox") is False


def test_disk_full_acknowledges_nothing_uncommitted_and_recovers(
    tmp_path: Path, mosquitto: Mosquitto, capsys: pytest.CaptureFixture[str]
) -> None:
    site = load_site(20)
    devices = [d.id for d in site.devices]
    with small_disk(tmp_path / "disk", 32) as disk:
        hub = HubProcess(disk / "hub", write_site(site, tmp_path / "site.toml"), mosquitto.url,
                         log=tmp_path / "hub.log", env={"HAMLET_MIN_FREE_DISK_MB": "4"})
        hub.start()
        pub = Publisher(mosquitto.host, mosquitto.port, site.id)
        try:
            eventually(lambda: hub.ok("broker") and not hub.degraded(), 30, "the hub up and healthy")
            pub.wait_acked(pub.telemetry(devices, 20))
            eventually(lambda: settle(pub.ledger, lambda: sqlite_rows(disk / "hub" / "telemetry.sqlite3"), 0)
                       .lost == 0, 30, "the first readings stored")
            filler = fill(disk)
            per_device = int(FULL_S * RATE / len(devices))
            sender = threading.Thread(target=pub.telemetry, args=(devices, per_device, RATE),
                                      kwargs={"first_seq": 20})
            sender.start()
            # The outbox commit itself must fail (not only the store behind it): that is where acks are held.
            eventually(lambda: commits_failing(hub), 30, "/healthz degraded: outbox commits failing")
            sender.join(FULL_S + 60)
            pub.wait_acked(len(devices) * (20 + per_device))
            assert hub.degraded()
            # While the disk is full the store may hold only what was committed before: never the rest.
            during = settle(pub.ledger, lambda: sqlite_rows(disk / "hub" / "telemetry.sqlite3"), 0)
            assert during.lost > 0, "the disk never filled up: the test did not test anything"
            filler.unlink()
            verdict = settle(pub.ledger, lambda: sqlite_rows(disk / "hub" / "telemetry.sqlite3"), 90)
            report(capsys, f"disk full for {FULL_S:g} s under traffic, then space back", verdict)
            assert verdict.exact, verdict.explain()
            eventually(lambda: not hub.degraded(), 30, "/healthz ok once the space is back")
        finally:
            pub.close()
            hub.stop()
