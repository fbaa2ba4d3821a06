"""mosquitto SIGKILLed under load and started again on its persistence file: nothing it acknowledged to a
device may go missing between the broker, the hub's persistent session and the store.

With mosquitto's default autosave (every 30 minutes) the restarted broker has forgotten the hub's session
and routes the devices' messages to nobody until the hub subscribes again: thousands lost per crash. The
configuration the tests run (tests/support/mosquitto.py, the same as docs/operations.md) saves every second.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.hub.sites import load_site
from tests.support.faults import report, settle, sized
from tests.support.hubproc import HubProcess
from tests.support.ledger import sqlite_rows
from tests.support.mosquitto import Mosquitto
from tests.support.publisher import Publisher
from tests.support.sitefile import write_site
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
CRASHES = sized(2, 5)
DOWN_S = sized(3.0, 10.0)
RATE = 1000.0


def test_broker_sigkilled_under_load_loses_nothing(
    tmp_path: Path, mosquitto: Mosquitto, capsys: pytest.CaptureFixture[str]
) -> None:
    site = load_site(20)
    devices = [d.id for d in site.devices]
    hub = HubProcess(tmp_path / "hub", write_site(site, tmp_path / "site.toml"), mosquitto.url)
    hub.start()
    pub = Publisher(mosquitto.host, mosquitto.port, site.id)
    stop = threading.Event()
    sent: list[int] = []
    sender = threading.Thread(target=lambda: sent.append(pub.telemetry(devices, 1_000_000, RATE, stop=stop)))
    try:
        eventually(lambda: hub.ok("broker"), 30, "the hub subscribed")
        sender.start()
        for _ in range(CRASHES):
            time.sleep(2.0)  # a couple of seconds of traffic, some of it still in the broker's hands
            mosquitto.kill()
            time.sleep(DOWN_S)
            mosquitto.start()
            eventually(lambda: hub.ok("broker"), 30, "the hub back on the restarted broker")
            target = pub.acked + 500
            eventually(lambda: pub.acked > target, 30, "the devices publishing again")  # noqa: B023 (used at once)
        time.sleep(1.0)
        stop.set()
        sender.join(60)
        pub.wait_acked(sent[0])
        verdict = settle(pub.ledger, lambda: sqlite_rows(hub.data_dir / "telemetry.sqlite3"), 60)
    finally:
        stop.set()
        pub.close()
        hub.stop()
    report(capsys, f"mosquitto SIGKILLed {CRASHES} times, down {DOWN_S:g} s each", verdict)
    assert verdict.sent == sent[0]
    assert verdict.exact, verdict.explain()
