from __future__ import annotations

import random

from devices.speaker import SpeakerConfig, SpeakerSet
from simulators.commands import Outcome
from simulators.speaker_logic import SpeakerLogic


def cmd(**fields: object) -> SpeakerSet:
    return SpeakerSet.model_validate({"command_id": "c", "ts": 0, **fields})


def events(outcome: Outcome) -> list[tuple[str, object]]:
    return [(e.event, e.fields.get("bulletin_id")) for e in outcome.events]


def test_play_then_finish_after_the_simulated_duration() -> None:
    speaker = SpeakerLogic(play_ms=3_000)
    outcome = speaker.apply(cmd(action="play", bulletin_id="b1", volume=80), 1_000)
    assert outcome.ok and outcome.changed and events(outcome) == [("playback_started", "b1")]
    assert speaker.state_fields() == {"status": "playing", "volume": 80, "bulletin_id": "b1", "priority": "normal"}
    assert speaker.next_deadline(1_000) == 4_000
    assert not speaker.tick(3_999).changed
    finished = speaker.tick(4_000)
    assert events(finished) == [("playback_finished", "b1")] and speaker.status == "idle"
    assert speaker.next_deadline(4_000) is None


def test_an_emergency_preempts_a_normal_bulletin() -> None:
    speaker = SpeakerLogic()
    speaker.apply(cmd(action="play", bulletin_id="chao-buoi-sang"), 0)
    outcome = speaker.apply(cmd(action="play", bulletin_id="lu-lut", priority="emergency"), 100)
    assert outcome.ok
    assert events(outcome) == [("preempted", "chao-buoi-sang"), ("playback_started", "lu-lut")]
    assert (speaker.bulletin_id, speaker.priority) == ("lu-lut", "emergency")


def test_a_normal_bulletin_cannot_cut_an_emergency_short() -> None:
    speaker = SpeakerLogic()
    speaker.apply(cmd(action="play", bulletin_id="lu-lut", priority="emergency"), 0)
    outcome = speaker.apply(cmd(action="play", bulletin_id="nhac"), 100)
    assert not outcome.ok and outcome.error is not None and outcome.error.startswith("busy")
    assert speaker.bulletin_id == "lu-lut" and not outcome.changed


def test_stop_and_volume() -> None:
    speaker = SpeakerLogic()
    speaker.apply(cmd(action="play", bulletin_id="b1"), 0)
    stopped = speaker.apply(cmd(action="stop"), 10)
    assert events(stopped) == [("playback_finished", "b1")] and speaker.status == "idle"
    assert speaker.apply(cmd(action="stop"), 20).ok  # nothing playing: already the goal
    assert speaker.apply(cmd(action="volume", volume=35), 30).changed and speaker.volume == 35
    assert not speaker.apply(cmd(action="volume"), 40).ok


def test_amp_fault_fails_playback_and_shows_as_error() -> None:
    speaker = SpeakerLogic()
    speaker.apply(cmd(action="play", bulletin_id="b1"), 0)
    outcome = speaker.set_fault("amp_fault", 10)
    assert events(outcome) == [("playback_failed", "b1"), ("fault", None)] and speaker.status == "error"
    refused = speaker.apply(cmd(action="play", bulletin_id="b2"), 20)
    assert (refused.ok, refused.error) == (False, "amp_fault")
    assert speaker.set_fault(None, 30).changed
    assert speaker.state_fields()["status"] == "idle"


def test_config_sets_the_default_volume_but_never_mid_bulletin() -> None:
    speaker = SpeakerLogic()
    assert speaker.configure(SpeakerConfig(version=1, default_volume=50), 0).changed and speaker.volume == 50
    speaker.apply(cmd(action="play", bulletin_id="b1"), 0)
    assert not speaker.configure(SpeakerConfig(version=2, default_volume=90), 1).changed
    assert speaker.volume == 50


def test_telemetry_tracks_playing_and_uptime() -> None:
    speaker = SpeakerLogic()
    speaker.apply(cmd(action="play", bulletin_id="b1"), 0)
    sample = speaker.sample(0, 42, random.Random(1))
    assert sample["playing"] is True and sample["uptime_s"] == 42 and sample["volume"] == 70
