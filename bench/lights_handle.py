"""The lights service's batch handler, in process: µs per message for `Lights.handle` on one routed batch,
beside the cost of only walking the same batch (the floor any handler pays), measured in the same run.

The batch is what the router hands "svc-lights" under a backlog: 10,000 committed messages from 1,000
lights (per light nine telemetry samples 30 s apart with the simulator's ±2 % power noise, and one state),
decoded by the bridge's own `decode`, arrival order interleaved across lights. A schedule rule reaches
every light (the fault detectors ask it what each light should do), and every light's full power is
learned, so faults and energy do their real work. Each round gets a fresh batch 5 minutes later, so
energy adds intervals and faults keep their streaks; the tick (energy's SQLite flush, fault timers) is
timed apart, once per round. Times are this thread's CPU time (what the handler costs the hub's one GIL,
and what other processes on a shared machine do not disturb), the median of the rounds.

    .venv/bin/python bench/lights_handle.py [--lights 1000] [--per-light 10] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import figure
from devices.contract import Channel, Kind, topic
from devices.site import Alley, Cabinet, Device, Position, Road, Site
from hub.auth.audit import AuditLog
from hub.bus.memory import MemoryBroker
from hub.domain import Accepted
from hub.ingest.clock import ClockBounds
from hub.ingest.decode import decode
from hub.lights.schedules.presets import preset_rule
from hub.lights.service import Lights
from hub.registry import Registry
from hub.runtime import open_state

P = Position(lat=21.33, lon=105.28)
T0 = 1_790_000_000_000  # an evening in Phú Thọ (12:53 UTC, 19:53 local): the lights are lit
SAMPLE_MS = 30_000
ROUND_MS = 5 * 60_000
BOUNDS = ClockBounds(ahead_ms=10**12, behind_ms=10**12)  # the bench's clock is made up: take every ts


def site_of(lights: int, alleys: int = 20, cabinets: int = 25) -> Site:
    """`lights` lights spread over `alleys` alleys of one road and `cabinets` power cabinets."""
    devices = [Device(id=f"den-{i:05d}", kind=Kind.LIGHT, name=f"Đèn {i}", group=f"ngo-{i % alleys}",
                      position=P, cabinet=f"tu-{i % cabinets}") for i in range(lights)]
    return Site(id="bench", name="Bench", commune="Sơn Vi", district="Lâm Thao", province="Phú Thọ", position=P,
                roads=[Road(id="duong-1", name="Đường 1", path=[P, P])],
                alleys=[Alley(id=f"ngo-{a}", name=f"Ngõ {a}", road="duong-1", path=[P, P]) for a in range(alleys)],
                cabinets=[Cabinet(id=f"tu-{c}", name=f"Tủ {c}", position=P) for c in range(cabinets)],
                devices=devices)


class Fleet:
    """Each light's meter and sequence number, so consecutive batches continue where the last ended."""

    def __init__(self, site: Site, seed: int = 8) -> None:
        self.site = site
        self.ids = [d.id for d in site.devices if d.kind == Kind.LIGHT]
        self.rng = random.Random(seed)
        self.seq = dict.fromkeys(self.ids, 0)
        self.wh = dict.fromkeys(self.ids, 0.0)

    def online(self, registry: Registry, now: int) -> None:
        for serial, device in enumerate(self.ids, 1):
            name = topic(self.site.id, Kind.LIGHT, device, Channel.AVAILABILITY)
            accepted = decode(name, b"online", now, registry.inventory, BOUNDS, serial=serial)
            assert isinstance(accepted, Accepted), accepted
            registry.apply(accepted, now)

    def batch(self, registry: Registry, start_ms: int, per_light: int) -> list[Accepted]:
        payloads: list[tuple[str, bytes]] = []
        for k in range(per_light):
            ts = start_ms + k * SAMPLE_MS
            for device in self.ids:
                self.seq[device] += 1
                if k == per_light - 1:
                    body: dict[str, object] = {"state": "ON", "brightness": 100, "mode": "schedule"}
                    channel = Channel.STATE
                else:
                    watts = round(44.9 * self.rng.uniform(0.98, 1.02), 2)
                    self.wh[device] += watts * SAMPLE_MS / 3_600_000
                    body = {"power_w": watts, "voltage_v": 221.0, "energy_wh": round(self.wh[device], 3),
                            "level": 100}
                    channel = Channel.TELEMETRY
                body = {"ts": ts, "seq": self.seq[device], **body}
                payloads.append((topic(self.site.id, Kind.LIGHT, device, channel), json.dumps(body).encode()))
        out: list[Accepted] = []
        now = start_ms + per_light * SAMPLE_MS
        for name, payload in payloads:
            accepted = decode(name, payload, now, registry.inventory, BOUNDS)
            assert isinstance(accepted, Accepted), accepted
            registry.apply(accepted, now)  # as the bridge does before routing
            out.append(accepted)
        return out


def walk(batch: Sequence[Accepted]) -> None:
    """The floor: touch every message's device and channel, as any router-fed handler must."""
    seen: dict[str, object] = {}
    for item in batch:
        seen[item.where.device] = item.where.channel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lights", type=int, default=1000)
    parser.add_argument("--per-light", type=int, default=10, help="messages per light in one batch")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    site = site_of(args.lights)
    now = [T0]
    with tempfile.TemporaryDirectory() as tmp:
        state = open_state(Path(tmp))
        registry = Registry(site)
        lights = Lights(MemoryBroker().client(), registry, state, AuditLog(state), clock=lambda: now[0])
        lights.start()
        lights.schedules.create(preset_rule("tiet-kiem-dien"), None)  # 100%, 50% from 23:00, 30% from 01:00
        fleet = Fleet(site)
        fleet.online(registry, now[0])
        handle_s: list[float] = []
        walk_s: list[float] = []
        tick_s: list[float] = []
        messages = 0
        for r in range(args.rounds + 1):  # round 0 warms up: every light learns its full power, caches fill
            start = T0 + r * ROUND_MS
            batch = fleet.batch(registry, start, args.per_light)
            now[0] = start + args.per_light * SAMPLE_MS  # the batch has just arrived: every light is fresh
            began = time.thread_time()
            walk(batch)
            walked = time.thread_time()
            lights.handle(batch)
            handled = time.thread_time()
            lights.tick()
            ticked = time.thread_time()
            if r:
                walk_s.append(walked - began)
                handle_s.append(handled - walked)
                tick_s.append(ticked - handled)
                messages = len(batch)
        lights.stop()
        open_faults = len(lights.faults.page(open_only=True, limit=10_000))
        state.close()
    per = 1e6 / messages
    floor = statistics.median(walk_s) * per
    print(f"lights handler: {args.lights} lights, {messages} messages per batch, {args.rounds} rounds "
          f"(median), {open_faults} faults open at the end")
    print(figure("walk the batch (baseline)", floor, "µs/msg"))
    print(figure("Lights.handle", statistics.median(handle_s) * per, "µs/msg", floor))
    print(figure("Lights.tick after the batch (per msg)", statistics.median(tick_s) * per, "µs/msg", floor))


if __name__ == "__main__":
    main()
