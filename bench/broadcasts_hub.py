"""Emergency tap through the hub itself: POST /api/broadcasts (emergency, now) on a real hub (uvicorn, SQLite,
a real mosquitto) -> the hub's `set` play to each of N simulated speakers -> each fetches the new medium from
the hub's GET /media/{sha256} and checks its sha256 -> every speaker's `started`: p50, p99 and the last, timed
from the POST, beside the same run's raw paho `set` -> ack round trip (bench/broadcasts.py's baseline).

Each round carries a new medium (the same emergency within a minute plays once, by design), so every round
includes the download from the hub; bench/broadcasts.py shows the cached path with a paho stand-in.

    .venv/bin/python bench/broadcasts_hub.py [--speakers 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.broadcasts import SITE, Watcher, raw_round_trip, spread
from bench.common import wait_for
from devices.contract import Kind
from simulators.fleet import Fleet
from tests.broadcasts.audio import encode, speechlike
from tests.broadcasts.mqttrig import ShiftedClock, start_hub
from tests.simulators.sites import small_site
from tests.support.mosquitto import start_mosquitto
from tests.support.procs import free_port


def reported(watcher: Watcher, devices: list[str], event: str, occurrence: str) -> bool:
    return watcher.times(devices, event, occurrence) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speakers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    site = small_site(lights=0, speakers=args.speakers, cameras=0, site_id=SITE)
    devices = [d.id for d in site.devices if d.kind == Kind.SPEAKER]
    tz = ZoneInfo(site.timezone)
    with tempfile.TemporaryDirectory(prefix="bench-broadcasts-hub-") as tmp:
        broker = start_mosquitto(Path(tmp) / "mosquitto")
        clock = ShiftedClock()
        hub = start_hub(Path(tmp), broker, site, clock, free_port())
        watcher = Watcher(broker)
        fleet = Fleet(site, broker.host, broker.port, kinds=[Kind.SPEAKER], telemetry_interval_s=600, keepalive=60)
        try:
            assert fleet.start(wait_s=120), "the speakers did not come online"
            wait_for(lambda: all((live := hub.hub.registry.get(d)) is not None and live.online for d in devices),
                     60, "the hub to see every speaker")
            sirens = [hub.upload_bytes(encode("mp3", speechlike(2.0, 44_100, 0.1, seed=n))) for n in range(args.rounds)]
            print(f"# {len(devices)} simulated speakers, hub under uvicorn, mosquitto; ratio = emergency / raw")
            for n, sha in enumerate(sirens):
                raw = raw_round_trip(watcher, devices, f"vol{n}")
                began = time.perf_counter()
                made = hub.post("/api/broadcasts", {"title": f"Khẩn cấp {n}", "sha256": sha, "priority": "emergency",
                                                    "once_at": datetime.now(tz).isoformat()})
                posted = time.perf_counter()
                occurrence = f"{made['id']}-{datetime.fromisoformat(made['once_at']).astimezone(tz):%Y%m%d%H%M}"
                wait_for(partial(reported, watcher, devices, "started", occurrence), 120, "every speaker started",
                         0.005)
                alert = [(t - began) * 1000 for t in watcher.times(devices, "started", occurrence) or []]
                print(f"## round {n + 1}: new medium fetched from the hub and checked; POST answered in "
                      f"{(posted - began) * 1000:.0f} ms")
                for line in (*spread("raw paho set -> ack, every speaker", raw),
                             *spread("emergency POST -> started, every speaker", alert, raw)):
                    print(line, flush=True)
                wait_for(partial(reported, watcher, devices, "finished", occurrence), 60, "every alert finished",
                         0.05)
        finally:
            watcher.close()
            fleet.stop()
            hub.stop()
            broker.stop()


if __name__ == "__main__":
    main()
