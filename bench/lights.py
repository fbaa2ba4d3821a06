"""Street-light command benchmark: a fleet of simulated lights on a real mosquitto, a real hub in-process.

TCP_NODELAY is on at every hop the hub and the baseline share or own: the broker (`set_tcp_nodelay true`
in the config tests/support/mosquitto.py writes, as docs/operations.md ships it), the hub's bus and the raw
client; otherwise a command waits on the kernel's delayed-ACK timer (~40 ms) and both sides measure that.

Figures, each beside a baseline measured in the same run (a ratio survives a noisy machine):
  1. one light, command -> confirmed (the light's ack and its state both through the hub's ingest),
     p50 and p99, beside a raw paho client publishing the same `set` to another light and waiting for
     its ack (publish -> broker -> light -> ack -> broker -> paho);
  2. one command to all lights until the last one confirms, beside raw paho publishing a `set` to every
     light and waiting for every ack.
Issue 8 aims: one light's p99 within 3x the raw p99, all lights (median of the rounds) within 1.5x raw.

    .venv/bin/python bench/lights.py [--lights 1000] [--samples 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import figure, no_delay, percentile, tcp_nodelay, wait_for
from devices.contract import PREFIX, Channel, Kind, topic
from hub.commands.lifecycle import Status
from hub.lights.commands.model import CommandRequest, LightCommand
from hub.lights.commands.service import Who
from hub.runtime import Hub, build_hub
from hub.settings import load_settings
from simulators.fleet import Fleet
from simulators.stamp import now_ms
from tests.hub.sites import load_site
from tests.support.mosquitto import CONFIG, Mosquitto, start_mosquitto

BENCH = Who(None, "bench")
BROKER_NODELAY = "\nset_tcp_nodelay true\n" in CONFIG  # the config start_mosquitto writes


class Acks:
    """The acks one `RawClient.send` waits for. Waited on in the caller's thread, as the hub's confirmation
    is: one hand-over from paho's thread either way, no watcher thread in the baseline."""

    def __init__(self, events: list[threading.Event]) -> None:
        self._events = events

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        return all(event.wait(max(0.0, deadline - time.monotonic())) for event in self._events)


class RawClient:
    """A plain paho client that sends `set` to lights and waits for their acks: the baseline."""

    def __init__(self, broker: Mosquitto, site: str) -> None:
        self.site = site
        self._acked: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv311)
        self.client.max_inflight_messages_set(1000)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda client, *_a: no_delay(client)
        ready = threading.Event()
        self.client.on_subscribe = lambda *_a: ready.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.client.subscribe(f"{PREFIX}/{site}/light/+/ack", 1)
        assert ready.wait(60), "the raw client could not subscribe"

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        command_id = json.loads(message.payload)["command_id"]
        with self._lock:
            event = self._acked.get(command_id)
        if event is not None:
            event.set()

    def send(self, devices: list[str], command_id: str, on: bool) -> Acks:
        """Send one `set` per device, each with its own id; wait on the result for every ack."""
        events = []
        for i, device in enumerate(devices):
            event = threading.Event()
            cid = f"{command_id}-{i}"
            with self._lock:
                self._acked[cid] = event
            body = {"command_id": cid, "ts": now_ms(), "state": "ON" if on else "OFF"}
            self.client.publish(topic(self.site, Kind.LIGHT, device, Channel.SET), json.dumps(body), qos=1)
            events.append(event)
        return Acks(events)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Confirmations:
    """Hub listener: signals when a command's lights are all confirmed (or one light, for the first figure)."""

    def __init__(self, hub: Hub) -> None:
        self._waiting: dict[str, threading.Event] = {}
        hub.lights.commands.listeners.append(self._on_change)

    def expect(self, command_id: str) -> threading.Event:
        event = self._waiting.setdefault(command_id, threading.Event())
        return event

    def _on_change(self, command: LightCommand) -> None:
        if all(p.status == Status.CONFIRMED for p in command.lights.values()):
            self._waiting.setdefault(command.id, threading.Event()).set()


def work(hub: Hub) -> tuple[int, float]:
    """Messages the hub's ingest has committed so far, and seconds its lights worker spent handling them: the
    difference over a round says what the hub had to digest while the lights answered."""
    lights = next(w for w in hub.router.status() if w.name == "lights")
    return hub.ingest.stages.messages, lights.busy_s


def one_light(hub: Hub, waits: Confirmations, raw: RawClient, lights: list[str],
              samples: int) -> tuple[list[str], float]:
    """The figures, and the p99 ratio hub / raw."""
    hub_ms: list[float] = []
    raw_ms: list[float] = []
    for i in range(samples):
        on = i % 2 == 0
        started = time.perf_counter()
        command = hub.lights.commands.submit(
            CommandRequest.model_validate({"target": {"device": lights[0]}, "on": on}), BENCH)
        assert waits.expect(command.id).wait(10), f"command {command.id} not confirmed"
        hub_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        assert raw.send([lights[1]], f"raw{i}", on).wait(10)
        raw_ms.append((time.perf_counter() - started) * 1000)
    base50, base99 = percentile(raw_ms, 50), percentile(raw_ms, 99)
    return [
        figure("raw paho set -> ack, one light, p50", base50, "ms"),
        figure("hub command -> confirmed, one light, p50", percentile(hub_ms, 50), "ms", base50),
        figure("raw paho set -> ack, one light, p99", base99, "ms"),
        figure("hub command -> confirmed, one light, p99", percentile(hub_ms, 99), "ms", base99),
    ], percentile(hub_ms, 99) / base99


def all_lights(hub: Hub, waits: Confirmations, raw: RawClient, lights: list[str],
               rounds: int) -> tuple[list[str], float]:
    """The figures per round and their medians, and the median ratio hub / raw."""
    lines = []
    raws: list[float] = []
    hubs: list[float] = []
    for r in range(rounds):
        on = r % 2 == 0
        started = time.perf_counter()
        assert raw.send(lights, f"all{r}", on).wait(120), "raw: not every light acked"
        raw_s = time.perf_counter() - started
        before = work(hub)
        started = time.perf_counter()
        command = hub.lights.commands.submit(CommandRequest.model_validate({"target": {"all": True}, "on": on}), BENCH)
        assert waits.expect(command.id).wait(120), f"not all lights confirmed: {command.rollup().en}"
        hub_s = time.perf_counter() - started
        after = work(hub)
        raws.append(raw_s * 1000)
        hubs.append(hub_s * 1000)
        lines.append(figure(f"raw paho set -> every ack, {len(lights)} lights", raw_s * 1000, "ms"))
        lines.append(figure(f"hub command -> last confirmed, {len(lights)} lights", hub_s * 1000, "ms", raw_s * 1000,
                            f"(round {r + 1}, {'on' if on else 'off'}: {after[0] - before[0]:,} msgs in, lights "
                            f"worker busy {(after[1] - before[1]) * 1000:,.0f} ms)"))
    raw_median = percentile(raws, 50)
    lines.append(figure(f"raw paho set -> every ack, {len(lights)}, median", raw_median, "ms"))
    lines.append(figure(f"hub command -> last confirmed, {len(lights)}, median", percentile(hubs, 50), "ms",
                        raw_median, f"({rounds} rounds)"))
    return lines, percentile(hubs, 50) / raw_median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lights", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    site = load_site(args.lights, "bench-lights")
    lights = [d.id for d in site.devices]
    with tempfile.TemporaryDirectory(prefix="bench-lights-") as tmp:
        broker = start_mosquitto(Path(tmp) / "mosquitto")
        settings = load_settings({}, data_dir=Path(tmp) / "hub", mqtt_url=broker.url, simulate=False,
                                 mqtt_client_id="bench-hub", mqtt_keepalive=60)
        hub = build_hub(settings, site)
        fleet = Fleet(site, broker.host, broker.port, telemetry_interval_s=600, keepalive=60)
        # The raw client first: paho's loop uses select(), which cannot watch a descriptor numbered past
        # 1024, and the fleet's thousand sockets would push a later client's there.
        raw = RawClient(broker, site.id)
        try:
            hub.start()
            assert fleet.start(wait_s=120), "the fleet did not come online"
            wait_for(lambda: all(d.online for d in hub.registry.all()), 120, "every light online at the hub")
            # Measure once the start-up storm is over: every light runs the schedule config pushed at start.
            wait_for(lambda: all(s.in_sync for s in hub.lights.schedules.status()), 180, "configs in sync", 1.0)
            waits = Confirmations(hub)
            print(f"# {args.lights} simulated lights, mosquitto, hub in-process (SQLite state), ratio = hub / raw")
            print(f"# TCP_NODELAY: broker {'on' if BROKER_NODELAY else 'OFF'}, "
                  f"raw client {'on' if tcp_nodelay(raw.client) else 'OFF'}")
            one, one_ratio = one_light(hub, waits, raw, lights, args.samples)
            for line in one:
                print(line, flush=True)
            every, every_ratio = all_lights(hub, waits, raw, lights, args.rounds)
            for line in every:
                print(line, flush=True)
            print(f"# one light p99: hub / raw = {one_ratio:.2f} (aim <= 3); "
                  f"{args.lights} lights, median of {args.rounds}: hub / raw = {every_ratio:.2f} (aim <= 1.5)")
        finally:
            raw.close()
            fleet.stop()
            hub.stop()
            broker.stop()


if __name__ == "__main__":
    main()
