"""The lights handle a routed batch batch-wise and end exactly where one sample at a time would have:
a long run from one light costs one detector run while its reading holds and one energy entry per day,
the energy sum is the per-sample sum to the last bit, faults open and close at the same samples, and the
schedule's cached answer is the one it computed per sample before."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices.contract import Channel, Kind, topic
from hub.auth.audit import AuditLog
from hub.bus.memory import MemoryBroker
from hub.domain import Accepted
from hub.ingest.clock import ClockBounds
from hub.ingest.decode import decode
from hub.lights.energy.meter import Sample, Use, between, local_day
from hub.lights.energy.service import FullPower
from hub.lights.faults.detect import Context
from hub.lights.faults.service import FaultService
from hub.lights.faults.store import Fault, FaultTable
from hub.lights.schedules.configs import push_window
from hub.lights.schedules.presets import preset_rule
from hub.lights.schedules.service import DUSK_MARGIN
from hub.lights.service import Lights
from hub.registry import Registry
from hub.runtime import open_state
from hub.scheduling.sun import Place, daylight, sun_event
from hub.scheduling.timeline import changes
from hub.statedb import StateDB
from tests.lights.sites import hamlet

SITE = hamlet()
T0 = 1_790_000_000_000  # 19:53 local time in Phú Thọ: night
BOUNDS = ClockBounds(ahead_ms=10**12, behind_ms=10**12)  # take every device time as given
MINUTE = 60_000


class Messages:
    """Committed light messages as the bridge decodes them (each light's seq counts up)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.seq: dict[str, int] = {}

    def make(self, device: str, channel: Channel, ts: int, **body: object) -> Accepted:
        self.seq[device] = self.seq.get(device, 0) + 1
        name = topic(SITE.id, Kind.LIGHT, device, channel)
        if channel == Channel.AVAILABILITY:
            payload = str(body["word"]).encode()
        else:
            payload = json.dumps({"ts": ts, "seq": self.seq[device], **body}).encode()
        accepted = decode(name, payload, ts, self.registry.inventory, BOUNDS, serial=self.seq[device])
        assert isinstance(accepted, Accepted), accepted
        self.registry.apply(accepted, ts)  # as the bridge does before it routes
        return accepted

    def sample(self, device: str, ts: int, level: int, power_w: float, energy_wh: float) -> Accepted:
        return self.make(device, Channel.TELEMETRY, ts, level=level, power_w=power_w, voltage_v=221.0,
                         energy_wh=energy_wh)


@dataclass
class LightsRig:
    lights: Lights
    db: StateDB
    messages: Messages
    now: list[int]


@pytest.fixture
def lr(tmp_path: Path) -> Iterator[LightsRig]:
    db = open_state(tmp_path)
    registry = Registry(SITE)
    now = [T0]
    lights = Lights(MemoryBroker().client(), registry, db, AuditLog(db), clock=lambda: now[0])
    lights.start()
    messages = Messages(registry)
    for device in registry.inventory:
        messages.make(device, Channel.AVAILABILITY, T0, word="online")
        messages.make(device, Channel.STATE, T0, state="ON", brightness=100, mode="schedule")
    yield LightsRig(lights, db, messages, now)
    db.close()


def test_a_thousand_samples_of_one_light_cost_one_evaluation_and_one_energy_row(lr: LightsRig) -> None:
    ts = [T0 + i * 1000 for i in range(1000)]
    batch = [lr.messages.sample("den-1", t, 100, 44.9, 0.0125 * i) for i, t in enumerate(ts)]
    lr.lights.handle(batch)
    assert lr.lights.faults.evaluations == 1  # the reading held: one verdict for the whole run
    lr.lights.tick()
    rows = lr.db.fetchall("SELECT device, day, wh, full_wh, on_ms FROM light_energy")
    assert [(r["device"], r["day"]) for r in rows] == [("den-1", local_day(T0, Place.of(SITE).tz))]
    full = FullPower()  # the per-sample sum, one interval at a time, as the service used to add it
    want = Use()
    for i in range(1000):
        full.observe("den-1", 100, 44.9)
        if i:
            prev, cur = Sample(ts[i - 1], 0.0125 * (i - 1), 44.9, 100), Sample(ts[i], 0.0125 * i, 44.9, 100)
            want = want + between(prev, cur, full.of("den-1"))
    assert (rows[0]["wh"], rows[0]["full_wh"], rows[0]["on_ms"]) == (want.wh, want.full_wh, want.on_ms)
    assert rows[0]["on_ms"] == 999_000


def test_a_changing_reading_is_judged_again_and_a_dead_lamp_in_one_batch_opens_one_fault(lr: LightsRig) -> None:
    batch = [lr.messages.sample("den-2", T0 + i * 1000, 100, 44.9 if i < 3 else 0.8, 0.0) for i in range(10)]
    lr.lights.handle(batch)
    assert lr.lights.faults.evaluations == 2  # healthy, then dead
    [fault] = lr.lights.faults.page(open_only=True, limit=10)
    assert (fault.kind, fault.subject, fault.detail) == ("lamp_failure", "den-2", {"power_w": 0.8, "level": 100})


def test_energy_in_one_batch_equals_one_sample_per_batch_across_midnight_and_replays(tmp_path: Path) -> None:
    """The same noisy samples, with a replayed one and a local midnight, as one batch and one at a time."""
    tz = Place.of(SITE).tz
    midnight = int(datetime.fromtimestamp(T0 / 1000, tz).replace(hour=23, minute=58).timestamp() * 1000)
    rng = random.Random(8)
    rows = []
    for name, split in (("batched", False), ("one by one", True)):
        db = open_state(tmp_path / name)
        registry = Registry(SITE)
        lights = Lights(MemoryBroker().client(), registry, db, AuditLog(db), clock=lambda: midnight)
        messages = Messages(registry)
        rng.seed(8)
        batch = []
        for i in range(40):
            for device in ("den-1", "den-2", "duong-den-1"):
                level = 100 if device != "den-2" else 50
                watts = round(45 * level / 100 * rng.uniform(0.98, 1.02), 2)
                batch.append(messages.sample(device, midnight + i * 10_000, level, watts, 0.12 * i))
            if i == 20:  # the broker replays an old sample of den-1
                batch.append(messages.sample("den-1", midnight + 5 * 10_000, 100, 44.0, 0.6))
        for chunk in ([item] for item in batch) if split else [batch]:
            lights.handle(chunk)
        lights.tick()
        rows.append([tuple(r) for r in db.fetchall(
            "SELECT device, day, wh, full_wh, on_ms FROM light_energy ORDER BY device, day")])
        db.close()
    assert len({day for _, day, *_ in rows[0]}) == 2  # the run crossed a local midnight
    assert rows[0] == rows[1]


# --- faults: the same open and close, batched or not -------------------------------------------------


@dataclass
class Sky:
    scheduled: int | None = 100
    daylight: bool = False

    def __call__(self, _device: str, ts: int) -> Context:
        # The schedule turns off and the day comes at T0 + 60 s: a run that crosses it changes context.
        late = ts >= T0 + 60_000
        return Context(45.0, 0 if late else self.scheduled, late or self.daylight)


READINGS = [(100, 44.9), (100, 0.8), (0, 0.4), (0, 44.0), (50, 22.6), (50, 1.0)]  # ok, dead, off, welded, …


def history(faults: FaultService, heard: list[Fault]) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The fault table and what listeners heard, each light's in its own order (lights never meet)."""
    table = sorted((f.subject, f.id, f.kind, f.opened_ms, f.closed_ms, json.dumps(f.detail, sort_keys=True))
                   for f in faults.page(open_only=False, limit=10_000))
    told: list[tuple[object, ...]] = [(f.subject, f.kind, f.closed_ms is None) for f in heard]
    per_light = sorted(told, key=lambda t: str(t[0]))  # stable: each light's own order is kept
    return [row[:1] + row[2:] for row in table], per_light


@pytest.mark.parametrize("seed", range(6))
def test_faults_open_and_close_at_the_same_samples_batched_or_one_by_one(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    devices = ["den-1", "den-2", "den-9", "duong-den-2"]
    script: list[tuple[str, str, int, int, float]] = []  # (device, what, ts, level, power)
    for i in range(120):
        device = rng.choice(devices)
        ts = T0 + i * 1000
        if rng.random() < 0.06:
            script.append((device, rng.choice(["lamp_failure", "relay_fault", "restored"]), ts, 0, 0.0))
        else:
            level, power = rng.choice(READINGS) if rng.random() < 0.4 else READINGS[0]
            script.append((device, "sample", ts, level, power))
    outcomes = []
    for name, split in (("batched", False), ("one by one", True)):
        db = StateDB(tmp_path / name / "hub.sqlite3")
        registry = Registry(SITE)
        messages = Messages(registry)
        for device in devices:
            messages.make(device, Channel.STATE, T0, state="ON", brightness=100, mode="schedule")
        faults = FaultService(registry, FaultTable(db), Sky(), clock=lambda: T0 + 500_000)
        heard: list[Fault] = []
        faults.listeners.append(heard.append)
        batch = [messages.sample(d, ts, level, power, 0.0) if what == "sample"
                 else messages.make(d, Channel.EVENT, ts, event=what)
                 for d, what, ts, level, power in script]
        for chunk in ([item] for item in batch) if split else [batch]:
            faults.observe(chunk)
        outcomes.append(history(faults, heard))
        db.close()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0], "the script opened no fault: it tests nothing"


# --- the schedule's cached answer ------------------------------------------------------------------


def test_expected_is_what_it_was_per_sample_at_every_edge(lr: LightsRig) -> None:
    """Against the per-sample computation it replaced (the timeline of the push window holding the
    instant, and daylight from the sun), at the edges of daylight and of every step (±1 ms) and at
    random instants over two days, forwards and back."""
    schedules = lr.lights.schedules
    place = schedules.place
    schedules.create(preset_rule("tiet-kiem-dien"), None)  # 100 %, 50 % from 23:00, 30 % from 01:00, off
    timelines: dict[int, list[tuple[int, int]]] = {}

    def steps_at(ts: int) -> list[tuple[int, int]]:
        start, end = push_window(ts, place)
        if ms(start) not in timelines:
            [timeline] = schedules.timelines(start, end, ["ngo-3"])
            timelines[ms(start)] = changes(timeline.steps)
        return timelines[ms(start)]

    edges = [at for at, _ in steps_at(T0)]
    for shift in (0, 1, 2):
        date = (datetime.fromtimestamp(T0 / 1000, place.tz) + timedelta(days=shift)).date()
        edges += [ms(sun_event(place, date, "sunrise") + DUSK_MARGIN),
                  ms(sun_event(place, date, "sunset") - DUSK_MARGIN)]
    rng = random.Random(3)
    instants = {e + d for e in edges for d in (-1, 0, 1)} | {T0 + rng.randrange(2 * 86_400_000) for _ in range(300)}
    ordered = sorted(t for t in instants if T0 - 43_200_000 < t < T0 + 2 * 86_400_000)
    for ts in ordered + ordered[::-1]:  # a kept span must never answer outside itself
        begun = [level for at, level in steps_at(ts) if at <= ts]
        lit = daylight(place, datetime.fromtimestamp(ts / 1000, place.tz), DUSK_MARGIN)
        assert schedules.expected("ngo-3", ts) == (begun[-1] if begun else None, lit), ts


def test_a_rule_change_is_seen_by_the_next_sample(lr: LightsRig) -> None:
    schedules = lr.lights.schedules
    assert schedules.expected("ngo-3", T0) == (None, False)  # no rule yet: kept until the window ends
    rule = schedules.create(preset_rule("theo-mat-troi"), None)
    assert schedules.expected("ngo-3", T0) == (100, False)
    schedules.delete(rule.id)
    assert schedules.expected("ngo-3", T0) == (None, False)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
