"""Faults from telemetry on the in-memory bus with scripted lights: each opens, is seen and closes;
a power cabinet's lights lost together are one incident."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.lights.faults.detect import Context, FaultKind
from hub.lights.faults.service import FaultService
from hub.lights.faults.store import Fault, FaultTable
from hub.statedb import StateDB
from tests.lights.fakes import Rig, rig_of
from tests.lights.sites import hamlet

SITE = hamlet()
HOLD_MS = 30_000


@dataclass
class Sky:
    """What the schedule asks and whether it is day, as the test sets it."""

    scheduled: int | None = 100
    daylight: bool = False

    def __call__(self, _device: str, _ts: int) -> Context:
        return Context(45.0, self.scheduled, self.daylight)


@dataclass
class FaultRig:
    rig: Rig
    faults: FaultService
    sky: Sky

    def open(self) -> list[Fault]:
        return self.faults.page(open_only=True, limit=100)

    def kinds(self) -> set[tuple[FaultKind, str]]:
        return {(f.kind, f.subject) for f in self.open()}

    def wait(self, ms: int) -> None:
        self.rig.clock.advance(ms)
        self.rig.settle()
        self.faults.tick()


@pytest.fixture
def fr(tmp_path: Path) -> Iterator[FaultRig]:
    for rig in rig_of(tmp_path, SITE):
        sky = Sky()
        faults = FaultService(rig.registry, FaultTable(StateDB(tmp_path / "hub.sqlite3")), sky, clock=rig.clock,
                              hold_ms=HOLD_MS)
        rig.ingest.observers.append(faults.observe)
        rig.all_online()
        faults.tick()
        yield FaultRig(rig, faults, sky)


def test_a_burnt_out_lamp_opens_is_seen_and_closes_when_repaired(fr: FaultRig) -> None:
    light = fr.rig.lights["den-1"]
    light.state = "ON"
    light.publish_state()
    light.telemetry(100, 0.8)
    fr.rig.settle()
    assert fr.open() == []  # one sample is not enough: it may have caught the lamp mid-switch
    light.telemetry(100, 0.8)
    fr.rig.settle()
    [fault] = fr.open()
    assert (fault.kind, fault.subject, fault.seen_ms) == (FaultKind.LAMP_FAILURE, "den-1", None)
    seen = fr.faults.see(fault.id, by=1)
    assert seen is not None and seen.seen_ms == fr.rig.clock.now and seen.seen_by == 1
    for _ in range(2):
        light.telemetry(100, 44.9)
        fr.rig.settle()
    assert fr.open() == []
    closed = fr.faults.page(open_only=False, limit=5)[0]
    assert closed.closed_ms == fr.rig.clock.now and closed.seen_by == 1


def test_a_welded_relay_and_a_lamp_burning_by_day(fr: FaultRig) -> None:
    relay = fr.rig.lights["den-2"]
    for _ in range(2):
        relay.telemetry(0, 44.0)
        fr.rig.settle()
    assert fr.kinds() == {(FaultKind.RELAY_FAULT, "den-2")}
    fr.sky.daylight, fr.sky.scheduled = True, 0
    day = fr.rig.lights["den-3"]
    day.state = "ON"
    day.publish_state()
    for _ in range(2):
        day.telemetry(100, 44.9)
        relay.telemetry(0, 0.5)
        fr.rig.settle()
    assert fr.kinds() == {(FaultKind.BURNING_BY_DAY, "den-3")}  # the relay cleared
    for _ in range(2):
        day.telemetry(0, 0.5)
        fr.rig.settle()
    assert fr.open() == []


def test_the_lights_own_fault_events_open_at_once_and_restored_closes(fr: FaultRig) -> None:
    light = fr.rig.lights["den-4"]
    light.event("relay_fault")
    fr.rig.settle()
    assert fr.kinds() == {(FaultKind.RELAY_FAULT, "den-4")}
    light.event("restored")
    fr.rig.settle()
    assert fr.open() == []


def test_one_light_offline_is_its_own_fault(fr: FaultRig) -> None:
    fr.rig.lights["den-10"].drop()
    fr.wait(0)
    fr.wait(10_000)
    assert fr.open() == []  # its cabinet's others may still be on their way down
    fr.wait(HOLD_MS)
    assert fr.kinds() == {(FaultKind.OFFLINE, "den-10")}
    fr.rig.lights["den-10"].online()
    fr.wait(1000)
    assert fr.open() == []


def test_a_power_cabinet_going_down_is_one_incident_not_eight_alarms(fr: FaultRig) -> None:
    for i in range(1, 9):  # every light of tủ điện 1, a few seconds apart
        fr.rig.lights[f"den-{i}"].drop()
        fr.wait(2_000)
    fr.wait(HOLD_MS)
    [incident] = fr.open()
    assert (incident.kind, incident.subject) == (FaultKind.POWER_LOSS, "tu-1")
    assert incident.detail["lights"] == sorted(f"den-{i}" for i in range(1, 9))
    for i in range(1, 8):
        fr.rig.lights[f"den-{i}"].online()
    fr.wait(1000)
    assert fr.kinds() == {(FaultKind.POWER_LOSS, "tu-1")}  # den-8 is still dark
    fr.rig.lights["den-8"].online()
    fr.wait(1000)
    assert fr.open() == []


def test_a_late_light_joins_the_open_incident(fr: FaultRig) -> None:
    for i in (1, 2, 3):
        fr.rig.lights[f"den-{i}"].drop()
    fr.wait(0)
    fr.wait(HOLD_MS)
    assert fr.kinds() == {(FaultKind.POWER_LOSS, "tu-1")}
    fr.rig.lights["den-4"].drop()
    fr.wait(HOLD_MS * 3)
    [incident] = fr.open()
    assert incident.detail["lights"] == ["den-1", "den-2", "den-3", "den-4"]


def test_within_one_batch_a_fault_opens_and_closes_at_the_same_samples(fr: FaultRig) -> None:
    """Samples that queued up while the hub was busy arrive as one batch: the streaks run through it
    sample by sample, so a lamp dead for two samples and then repaired opens a fault and closes it."""
    light = fr.rig.lights["den-5"]
    light.state = "ON"
    light.publish_state()
    for watts in (0.8, 0.8, 44.9, 44.9):
        light.telemetry(100, watts)
    fr.rig.settle()  # one ingest batch
    [fault] = fr.faults.page(open_only=False, limit=5)
    assert (fault.kind, fault.subject) == (FaultKind.LAMP_FAILURE, "den-5")
    assert fault.detail == {"power_w": 0.8, "level": 100}
    assert fault.closed_ms == fault.opened_ms == fr.rig.clock.now
    for watts in (0.8, 0.8, 0.8, 44.9):  # dead for three samples, one good one is not enough to close
        light.telemetry(100, watts)
    fr.rig.settle()
    assert fr.kinds() == {(FaultKind.LAMP_FAILURE, "den-5")}
    for watts in (0.8, 44.9):  # and one dead sample alone is not enough to open
        fr.rig.lights["den-6"].telemetry(100, watts)
    fr.rig.settle()
    assert fr.kinds() == {(FaultKind.LAMP_FAILURE, "den-5")}


def test_a_lights_event_between_its_samples_in_one_batch_keeps_its_place(fr: FaultRig) -> None:
    """The light says 'restored' between two welded-relay samples and two clean ones: closed by the event,
    not reopened by a streak the event interrupted, then the clean samples keep it closed."""
    relay = fr.rig.lights["den-7"]
    relay.telemetry(0, 44.0)
    relay.telemetry(0, 44.0)
    relay.event("restored")
    relay.telemetry(0, 0.4)
    relay.telemetry(0, 0.4)
    fr.rig.settle()
    [fault] = fr.faults.page(open_only=False, limit=5)
    assert (fault.kind, fault.subject) == (FaultKind.RELAY_FAULT, "den-7") and fault.closed_ms is not None
    relay.telemetry(0, 44.0)
    relay.event("relay_fault")  # the light knows first: open at once, inside the batch
    fr.rig.settle()
    assert fr.kinds() == {(FaultKind.RELAY_FAULT, "den-7")}
