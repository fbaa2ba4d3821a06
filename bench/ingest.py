"""Ingest benchmark: N QoS 1 messages from 10,000 simulated devices through a real mosquitto.

Every figure is taken the same way, so their ratios are fair: the messages are queued at the broker for a
persistent session first, then the consumer connects and drains them.
  1. raw ceiling: a paho subscriber that does nothing (auto-acks)
  2. hub -> SQLite: `python -m hub serve`, acked after the outbox commit, landed in the SQLite store
  3. hub -> influxd 1.x: the same into a real influxd (done when influxd's own count of points it acknowledged
     reaches N: reading every point back 4 times a second would slow influxd itself; `lost` is from one
     full read-back at the end)
Each line: rate, ratio to the raw ceiling, messages lost. Plus the hub's peak memory (VmHWM) and where its
time goes per message: receive (CPU of paho's network thread in the hub), then the committer's stages
(decode, commit, ack, routing = registry + hand-off to the services' router) as CPU µs with wall µs in
brackets (wall includes the wait for the GIL), from the line the hub logs when it stops; each service's
µs per message on its own worker from the router's line; the raw subscriber's own CPU per message beside.

    .venv/bin/python bench/ingest.py [--messages 100000] [--devices 10000]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import figure, wait_for
from devices.contract import ingest_filters
from hub.storage.http_client import HttpClient
from simulators.load import publish_load
from tests.hub.sites import load_site
from tests.support.hubproc import HubProcess
from tests.support.influxd import InfluxD, start_influxd
from tests.support.mosquitto import Mosquitto, start_mosquitto
from tests.support.sitefile import write_site

SITE_ID = "bench-site"


class RawSubscriber:
    """A paho subscriber on a persistent session that only counts what it receives."""

    def __init__(self, broker: Mosquitto) -> None:
        self.count = 0
        self.cpu_first = self.cpu_last = 0
        self.connected_at = 0.0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw", clean_session=False,
                                  protocol=mqtt.MQTTv311)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._ready = threading.Event()
        self.broker = broker

    def _on_connect(self, client: mqtt.Client, *_a: object) -> None:
        self.connected_at = time.monotonic()
        client.subscribe([(f, 1) for f in ingest_filters(SITE_ID)])
        self._ready.set()

    def _on_message(self, *_a: object) -> None:
        self.count += 1
        if self.count == 1:
            self.cpu_first = time.thread_time_ns()
        self.cpu_last = time.thread_time_ns()

    def connect(self) -> None:
        self._ready.clear()
        self.client.connect(self.broker.host, self.broker.port)
        self.client.loop_start()
        self._ready.wait(10)

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def queue_messages(broker: Mosquitto, devices: int, messages: int) -> int:
    result = publish_load(broker.host, broker.port, SITE_ID, devices, messages, qos=1, clients=4)
    if result.acked != messages:
        raise RuntimeError(f"broker acknowledged {result.acked} of {messages}")
    return result.acked


def raw_ceiling(broker: Mosquitto, devices: int, messages: int) -> tuple[float, float]:
    """(messages a second, CPU µs per message of paho's network thread)."""
    sub = RawSubscriber(broker)
    sub.connect()
    time.sleep(0.5)  # let the SUBACKs land so the session has the subscriptions
    sub.disconnect()
    queue_messages(broker, devices, messages)
    sub.connect()
    done = wait_for(lambda: sub.count >= messages, 300, "the raw subscriber", poll=0.01)
    sub.disconnect()
    return messages / (done - sub.connected_at), (sub.cpu_last - sub.cpu_first) / max(1, sub.count - 1) / 1000


def connected_at(log: Path, since: float) -> float:
    """The monotonic time of the hub's last 'MQTT connected' log line (wall clock mapped to monotonic)."""
    stamps = re.findall(r"^(\S+ \S+) INFO hub\.bus\.mqtt: MQTT connected", log.read_text(), re.MULTILINE)
    wall = datetime.strptime(stamps[-1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return since + (wall - time.time() + (time.monotonic() - since))


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


STAGES_RE = re.compile(r"ingest stages, µs/msg over (\d+) messages: (.*)$", re.MULTILINE)


ROUTER_RE = re.compile(r"router: routing [\d.]+ µs/msg \(\d+ msgs\); services: (.*)$", re.MULTILINE)


def stages(log: Path) -> str:
    """The per-stage lines the hub logged when it stopped: the committer's stages (`stage µs, …`) and each
    service's µs per message on its own worker (from the router's line)."""
    text = log.read_text()
    found = STAGES_RE.findall(text)
    line = f"{found[-1][1]} (over {int(found[-1][0]):,} messages)" if found else "(no stage line in the hub log)"
    services = ROUTER_RE.findall(text)
    return line + (f"\n  services, on their own workers: {services[-1]}" if services else "")


def hub_run(work: Path, broker: Mosquitto, site_file: Path, devices: int, messages: int,
            influx: InfluxD | None) -> tuple[float, int, float, str]:
    """(rate, lost, peak MB, stages) of the hub draining `messages` queued at the broker into its store."""
    hub = HubProcess(work, site_file, broker.url, influx.url if influx else "")
    hub.start()  # first start: creates the persistent session and its subscriptions
    hub.stop()
    queue_messages(broker, devices, messages)
    before = influx_confirmed(influx) if influx else 0
    started = time.monotonic()
    hub.start()
    assert hub.proc is not None

    def landed() -> int:
        return influx_count(influx) if influx else sqlite_count(work / "telemetry.sqlite3")

    # Done = every point confirmed by the store. SQLite's count(*) is cheap; influxd has no cheap count (a
    # SELECT reads every point: polled 4 times a second it took more than half of influxd's write speed and
    # a core of the bench's own JSON parsing), so that leg polls influxd's own counter of points it answered
    # 204 for (since this start), and the points are counted one by one once, at the end (`lost`).
    def confirmed() -> int:
        return influx_confirmed(influx) - before if influx else landed()

    done = wait_for(lambda: confirmed() >= messages, 600, "the hub to land every message", poll=0.25)
    t0 = connected_at(hub.log, started)
    peak = peak_rss_mb(hub.proc.pid)
    hub.stop()
    return messages / (done - t0), messages - landed(), peak, stages(hub.log)


def sqlite_count(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            return int(db.execute("SELECT count(*) FROM points WHERE measurement = 'light'").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def influx_confirmed(influx: InfluxD) -> int:
    """Points influxd has acknowledged on /write since it started (its httpd `pointsWrittenOK` statistic)."""
    stats = json.loads(HttpClient(influx.url, 10).request("GET", "/debug/vars").body)
    return sum(int(v["values"].get("pointsWrittenOK", 0)) for k, v in stats.items() if k.startswith("httpd"))


def influx_count(influx: InfluxD | None) -> int:
    assert influx is not None
    from tests.support.influxq import seqs_by_device

    return sum(len(v) for v in seqs_by_device(influx.url, "hamlet").values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        site_file = write_site(load_site(args.devices, SITE_ID), work / "site.toml")
        broker = start_mosquitto(work / "mosquitto")
        influx = start_influxd(work / "influxd")
        try:
            print(f"ingest: {args.messages:,} QoS 1 messages from {args.devices:,} devices, real mosquitto")
            ceiling, raw_cpu = raw_ceiling(broker, args.devices, args.messages)
            print(figure("raw paho subscriber (ceiling)", ceiling, "msg/s", ceiling, "lost 0"))
            print(figure("raw paho network thread CPU", raw_cpu, "µs/msg"))
            rate, lost, peak, where = hub_run(work / "hub-sqlite", broker, site_file, args.devices, args.messages,
                                              None)
            print(figure("hub end-to-end -> SQLite store", rate, "msg/s", ceiling, f"lost {lost}"))
            print(figure("hub peak memory (SQLite run)", peak, "MB"))
            print(f"  hub stages (SQLite run), µs/msg: {where}")
            rate, lost, peak, where = hub_run(work / "hub-influx", broker, site_file, args.devices, args.messages,
                                              influx)
            print(figure("hub end-to-end -> influxd 1.x", rate, "msg/s", ceiling, f"lost {lost}"))
            print(figure("hub peak memory (influxd run)", peak, "MB"))
            print(f"  hub stages (influxd run), µs/msg: {where}")
        finally:
            influx.stop()
            broker.stop()


if __name__ == "__main__":
    main()
