"""The cameras service against simulated cameras over real HTTP: every fault is named within its debounce
and clears when it stops; a hanging camera holds up nobody else."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from devices.contract import Channel, Kind, topic
from hub.cameras.health import Status
from tests.cameras.rig import rig

WARM = 7  # healthy probes first: the watch learns its day baseline (5) with a margin

# fault -> (reason it must raise, probes it may take: its debounce)
FAULTS = {
    "offline": ("unreachable", 2),
    "hang": ("timeout", 2),
    "slow": ("slow", 2),
    "freeze": ("frozen", 3),
    "black": ("black", 2),
    "covered": ("covered", 3),
    "blur": ("blurred", 3),
    "turned_away": ("moved", 3),
    "noisy": ("noisy", 3),
    "glare": ("glare", 3),
    "stop_recording": ("not_recording", 1),
    "storage_full": ("storage_full", 1),
    "corrupt": ("bad_image", 2),
    "enormous": ("bad_image", 2),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_named_within_its_debounce_and_clears(tmp_path: Path, fault: str) -> None:
    reason, debounce = FAULTS[fault]
    with rig(tmp_path) as r:
        for _ in range(WARM):
            r.round()
        assert r.service.now["cam-1"].status == Status.OK, r.reasons("cam-1")
        r.cameras["cam-1"].set_fault(fault)
        seen_at = None
        for probe in range(1, debounce + 1):
            r.round()
            if reason in r.reasons("cam-1") and seen_at is None:
                seen_at = probe
        assert seen_at is not None, f"{fault}: {r.reasons('cam-1')} after {debounce} probes"
        assert r.service.store.open_faults() >= {("cam-1", reason)}
        state = json.loads(r.broker.retained[topic("cam-site", Kind.CAMERA, "cam-1", Channel.STATE)].payload)
        assert reason in state["reasons"].split(",") and state["health"] in ("degraded", "offline")
        r.cameras["cam-1"].set_fault(None)
        for _ in range(4):
            r.round()
        assert r.service.now["cam-1"].status == Status.OK, r.reasons("cam-1")
        assert ("cam-1", reason) not in r.service.store.open_faults()
        assert {e.what for e in r.events} >= {"camera_health", "camera_fault"}


def test_storage_full_is_degraded_with_both_reasons(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.round()
        r.cameras["cam-1"].set_fault("storage_full")
        r.round()
        assert r.service.now["cam-1"].status == Status.DEGRADED
        assert r.reasons("cam-1") == {"not_recording", "storage_full"}


def test_a_reboot_is_seen_from_the_uptime(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.round()
        r.round()
        r.cameras["cam-1"].set_fault("reboot")
        time.sleep(0.4)  # the simulated camera is off the network for 0.3 s of real time
        r.round()
        assert any(e.what == "camera_reboot" for e in r.events)
        assert r.service.now["cam-1"].status == Status.OK  # back already: one reboot is no outage


def test_a_hanging_camera_does_not_hold_up_the_others(tmp_path: Path) -> None:
    with rig(tmp_path, count=6) as r:
        r.round()
        r.cameras["cam-3"].set_fault("hang")
        others = [d for d in r.cameras if d != "cam-3"]
        r.service.probe_now()
        r.round(others)  # every other camera's probe came back...
        assert r.service.prober.busy("cam-3")  # ...while the hanging one is still waiting for its answer
        assert all(r.service.now[d].status == Status.OK for d in others)


def test_readings_go_to_the_telemetry_path(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.round()
        point = r.points[-1]
        assert point.measurement == "camera" and point.device == "cam-1" and point.group == "cong-sau"
        assert point.fields["reachable"] is True and "storage_free_pct" in point.fields
        assert (point.fields["width"], point.fields["height"]) == (640, 360) and "score_black" in point.fields
