"""The camera's health endpoint as plain data: telemetry, faults, reboots, commands."""

from __future__ import annotations

import random

import pytest

from devices.camera import CameraConfig, CameraSet, CameraTelemetry
from simulators.camera_logic import LOOP_FLOOR_PCT, STORAGE_USE_PCT_PER_H, CameraLogic
from simulators.commands import NOTHING

HOUR = 3_600_000


def cmd(action: str) -> CameraSet:
    return CameraSet.model_validate({"command_id": "c", "ts": 0, "action": action})


def events(logic: CameraLogic, fault: str | None, now: int = 0) -> list[str]:
    return [e.event for e in logic.set_fault(fault, now).events]


def test_a_healthy_camera_streams_about_15_fps_and_its_telemetry_is_valid() -> None:
    camera = CameraLogic(booted_ms=0)
    rng = random.Random(3)
    samples = [camera.sample(t * 10_000, rng) for t in range(1, 60)]
    for sample in samples:
        CameraTelemetry.model_validate({"ts": 1, "seq": 0, **sample})
        assert 14.0 < float(str(sample["fps"])) < 16.0 and 1000 < float(str(sample["bitrate_kbps"])) < 3100
    assert len({s["fps"] for s in samples}) > 10  # noise, not a constant (VBR bitrate varies by scene)
    assert samples[-1]["uptime_s"] == 590
    assert camera.state_fields() == {"recording": True, "stream_ok": True}


def test_storage_falls_slowly_while_recording_down_to_the_loop_floor() -> None:
    camera = CameraLogic(booted_ms=0, storage_free_pct=50.0)
    camera.sample(0, random.Random(1))
    after = camera.sample(2 * HOUR, random.Random(1))["storage_free_pct"]
    assert after == pytest.approx(50.0 - 2 * STORAGE_USE_PCT_PER_H)
    assert camera.sample(1000 * HOUR, random.Random(1))["storage_free_pct"] == LOOP_FLOOR_PCT


def test_a_lost_stream_stops_frames_and_recording_and_is_announced_both_ways() -> None:
    camera = CameraLogic(booted_ms=0)
    assert events(camera, "stream_lost") == ["stream_lost"]
    sample = camera.sample(1_000, random.Random(1))
    assert (sample["fps"], sample["bitrate_kbps"]) == (0.0, 0.0)
    assert camera.state_fields() == {"recording": False, "stream_ok": False}
    assert not camera.apply(cmd("snapshot"), 1).ok  # no picture to take
    assert events(camera, None) == ["stream_restored"]
    assert camera.state_fields() == {"recording": True, "stream_ok": True}


def test_a_full_card_stops_recording_but_not_the_stream() -> None:
    camera = CameraLogic(booted_ms=0, storage_free_pct=40.0)
    outcome = camera.set_fault("storage_full", 0)
    assert outcome.changed and [e.event for e in outcome.events] == ["storage_full"]
    assert camera.state_fields() == {"recording": False, "stream_ok": True}
    assert camera.sample(HOUR, random.Random(1))["storage_free_pct"] == 0.0
    camera.set_fault(None, HOUR)
    assert camera.sample(HOUR, random.Random(1))["storage_free_pct"] == 40.0  # nothing recorded meanwhile


def test_a_reboot_resets_uptime_and_is_announced_once_back_online() -> None:
    camera = CameraLogic(booted_ms=0)
    assert camera.apply(cmd("reboot"), 5_000).ok
    assert camera.on_connected(5_000) == NOTHING  # an ordinary connect announces nothing
    camera.boot(9_000)
    assert [e.event for e in camera.on_connected(9_500).events] == ["reboot"]
    assert camera.on_connected(9_600) == NOTHING
    assert camera.sample(12_000, random.Random(1))["uptime_s"] == 3


def test_snapshot_is_acked_and_config_is_kept() -> None:
    camera = CameraLogic(booted_ms=0)
    assert camera.apply(cmd("snapshot"), 0).ok
    camera.configure(CameraConfig(version=2, snapshot_interval_s=30), 0)
    assert camera.config is not None and camera.config.version == 2
