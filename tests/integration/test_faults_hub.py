"""The hub (`python -m hub serve`, a real process) SIGKILLed at random points under load: nothing the
broker acknowledged to a device may go missing, and nothing may land twice.

Half the kills land at a random moment. A random moment rarely falls in the few milliseconds between a
batch's acknowledgement and its commit, so the other half land at the worst one: the hub reaches the broker
through a relay (tests/support/mqttrelay.py) that SIGKILLs it the moment its first PUBACK of a batch has
been forwarded. A hub that commits before it acknowledges loses nothing there; one that acknowledges
first loses the batch it was committing, and the ledger counts it (seen: the check fails with the ack
moved before the commit in hub/ingest/pipeline.py).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from simulators.fleet import Fleet
from tests.hub.sites import load_site
from tests.support.faults import report, settle, sized
from tests.support.hubproc import HubProcess
from tests.support.ledger import Ledger, sqlite_rows
from tests.support.mosquitto import Mosquitto
from tests.support.mqttrelay import PubackTrap
from tests.support.publisher import Publisher
from tests.support.sitefile import write_site
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
KILLS = sized(10, 40)
RATE = 1500.0  # messages per second from 20 devices: a backlog of a few thousand at every restart
FROZEN_2020 = 1_577_836_800_000


def clock(device: str, seq: int) -> int:
    """Most devices keep good time; one clock stands still in 2020 and one counts seconds. A message the
    hub committed but had not acknowledged when it died comes again: its replaced time must be the same
    the second time, or the store keeps it twice."""
    if device == "load-00001":
        return FROZEN_2020
    if device == "load-00002":
        return time.time_ns() // 1_000_000_000
    return time.time_ns() // 1_000_000


def test_hub_sigkilled_at_random_points_loses_nothing(
    tmp_path: Path, mosquitto: Mosquitto, capsys: pytest.CaptureFixture[str]
) -> None:
    site = load_site(20)
    devices = [d.id for d in site.devices]
    trap = PubackTrap(mosquitto.host, mosquitto.port)
    hub = HubProcess(tmp_path / "hub", write_site(site, tmp_path / "site.toml"), trap.url)
    trap.on_puback = lambda: os.kill(hub.pid, signal.SIGKILL)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    hub.start()
    pub = Publisher(mosquitto.host, mosquitto.port, site.id)
    stop = threading.Event()
    sent: list[int] = []
    sender = threading.Thread(target=lambda: sent.append(pub.telemetry(devices, 1_000_000, RATE, stop=stop,
                                                                         clock=clock)))
    try:
        eventually(lambda: hub.ok("broker"), 30, "the hub subscribed")
        sender.start()
        for kill in range(KILLS):
            # Anywhere from the first batches of the backlog to a quiet stretch after it...
            time.sleep(rng.choice((rng.uniform(0.02, 0.4), rng.uniform(0.4, 2.0))))
            if kill % 2:  # ...then either now, or on the hub's next PUBACK
                trap.arm()
                assert trap.fired.wait(30), "the hub acknowledged nothing for 30 s"
            hub.kill()
            time.sleep(rng.uniform(0.0, 1.0))
            hub.start()
            eventually(lambda: hub.ok("broker"), 30, "the hub subscribed again")
        stop.set()
        sender.join(60)
        pub.wait_acked(sent[0])
        verdict = settle(pub.ledger, lambda: sqlite_rows(hub.data_dir / "telemetry.sqlite3"), 90)
    finally:
        stop.set()
        pub.close()
        hub.stop()
        trap.close()
    report(capsys, f"hub SIGKILLed {KILLS} times (seed {seed})", verdict)
    assert verdict.sent == sent[0] > KILLS * 1000
    assert verdict.exact, verdict.explain()


def test_simulated_lights_through_hub_kills_lose_nothing(
    tmp_path: Path, mosquitto: Mosquitto, capsys: pytest.CaptureFixture[str]
) -> None:
    """The simulators' own links keep the ledger here: state, telemetry and events, every channel with a seq."""
    site = load_site(10)
    hub = HubProcess(tmp_path / "hub", write_site(site, tmp_path / "site.toml"), mosquitto.url)
    ledger = Ledger()
    fleet = Fleet(site, mosquitto.host, mosquitto.port, telemetry_interval_s=0.02, keepalive=5)
    for device in fleet.devices:
        device.link.on_acked = ledger.record_message
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    hub.start()
    try:
        eventually(lambda: hub.ok("broker"), 30, "the hub subscribed")
        assert fleet.start(30), "the simulated lights did not come online"
        for _ in range(sized(3, 12)):
            time.sleep(rng.uniform(0.2, 1.5))
            hub.kill()
            time.sleep(rng.uniform(0.0, 1.0))
            hub.start()
            eventually(lambda: hub.ok("broker"), 30, "the hub subscribed again")
        assert fleet.stop(), "the simulated lights did not stop"
        verdict = settle(ledger, lambda: sqlite_rows(hub.data_dir / "telemetry.sqlite3"), 60)
    finally:
        fleet.stop()
        hub.stop()
    report(capsys, f"simulated lights, hub SIGKILLed {sized(3, 12)} times (seed {seed})", verdict)
    assert verdict.sent > 1000
    assert verdict.exact, verdict.explain()
