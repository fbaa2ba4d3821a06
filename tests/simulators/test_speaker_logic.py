"""The loudspeaker's logic on plain data: its plan on its own clock, media checks, priorities, interruptions,
windows, de-duplication of occurrences, faults and telemetry. No broker, no HTTP: bytes are handed in."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from devices.speaker import MAX_PLAN_ENTRIES, PlanEntry, SpeakerConfig, SpeakerEvent, SpeakerSet, SpeakerState
from simulators.commands import Outcome
from simulators.speaker_logic import SpeakerLogic
from simulators.speaker_media import RETRY_MS

T0 = 1_764_453_600_000  # 2025-11-30 06:00 +07:00
MIN = 60_000
SIREN, NEWS, MUSIC = b"u-u-u-u" * 100, b"xin chao ba con" * 100, b"nhac" * 100


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def entry(occurrence: str, body: bytes = NEWS, start: int = T0, **fields: Any) -> PlanEntry:
    values = {"occurrence_id": occurrence, "bulletin_id": occurrence.split("_")[0], "start_ms": start,
              "sha256": sha(body), "duration_ms": 2 * MIN, "volume": 80, **fields}
    return PlanEntry.model_validate(values)


def plan(*entries: PlanEntry, version: int = 1) -> SpeakerConfig:
    return SpeakerConfig(version=version, media_base_url="http://hub.local/media", entries=list(entries))


def play(e: PlanEntry, command_id: str = "c-1") -> SpeakerSet:
    return SpeakerSet(command_id=command_id, ts=T0, action="play",
                      entry=e.model_copy(update={"media_url": f"http://hub.local/media/{e.sha256}"}))


def events(outcome: Outcome) -> list[tuple[str, object]]:
    return [(e.event, e.fields.get("occurrence_id") or e.fields.get("bulletin_id")) for e in outcome.events]


def ready(speaker: SpeakerLogic, now: int, *bodies: bytes) -> list[tuple[str, object]]:
    """Fetch what the speaker asks for, handing back `bodies` by hash (the test's HTTP)."""
    by_hash = {sha(b): b for b in bodies}
    seen: list[tuple[str, object]] = []
    for digest, url in speaker.wanted(now):
        assert url == f"http://hub.local/media/{digest}"
        seen += events(speaker.fetched(digest, by_hash.get(digest), None if digest in by_hash else "HTTP 404", now))
    return seen


def cached(speaker: SpeakerLogic, now: int, *bodies: bytes) -> None:
    """Media the speaker already holds (a siren fetched for an earlier alert)."""
    for body in bodies:
        assert speaker.fetched(sha(body), body, None, now).ok


def test_a_planned_bulletin_plays_at_its_time_on_the_speakers_clock_for_its_real_length() -> None:
    speaker = SpeakerLogic()
    news = entry("tin-sang_1", start=T0, repeat=2, gap_s=30, volume=90)
    assert events(speaker.configure(plan(news), T0 - 30 * MIN)) == []
    assert ready(speaker, T0 - 30 * MIN, NEWS) == [("downloaded", "tin-sang")]
    assert speaker.state_fields()["media_ready"] == 1 and speaker.state_fields()["config_version"] == 1
    assert speaker.next_deadline(T0 - 30 * MIN) == T0
    assert events(speaker.tick(T0 - 1)) == []
    started = speaker.tick(T0)
    assert events(started) == [("started", "tin-sang_1")] and started.events[0].fields["at_ms"] == T0
    assert speaker.state_fields()["status"] == "playing" and speaker.volume == 90
    # two plays of 2 min with 30 s between: finished at 4 min 30 s, even if the clock is read late
    assert events(speaker.tick(T0 + 4 * MIN + 29_999)) == []
    finished = speaker.tick(T0 + 6 * MIN)
    assert events(finished) == [("finished", "tin-sang_1")]
    assert finished.events[0].fields["at_ms"] == T0 + 4 * MIN + 30_000
    assert speaker.status == "idle" and speaker.volume == 70


def test_an_occurrence_is_never_played_twice_across_repushes_and_sets() -> None:
    speaker = SpeakerLogic()
    news = entry("tin_1")
    speaker.configure(plan(news), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    speaker.tick(T0)
    assert events(speaker.configure(plan(news, version=2), T0 + MIN)) == []  # a re-push mid-play
    assert events(speaker.tick(T0 + 2 * MIN)) == [("finished", "tin_1")]
    assert events(speaker.configure(plan(news, version=3), T0 + 3 * MIN)) == []
    assert events(speaker.tick(T0 + 3 * MIN)) == [] and speaker.status == "idle"
    again = speaker.apply(play(news), T0 + 3 * MIN)
    assert (again.ok, again.error) == (False, "already played: finished")


def test_a_wrong_hash_is_refused_reported_and_the_bulletin_fails_with_why() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("tin_1")), T0 - 10 * MIN)
    [(digest, _)] = speaker.wanted(T0 - 10 * MIN)
    refused = speaker.fetched(digest, NEWS + b"!", None, T0 - 10 * MIN)
    [failed] = refused.events
    assert failed.event == "failed" and failed.fields["sha256"] == digest
    assert "sha256 mismatch" in str(failed.fields["detail"])
    assert not speaker.media.has(digest) and speaker.wanted(T0 - 10 * MIN) == []  # backoff, not a hot loop
    assert speaker.next_deadline(T0 - 10 * MIN) == T0 - 10 * MIN + RETRY_MS[0]
    due = speaker.tick(T0)  # still wrong at start time: dead air reported at once, with the reason
    assert events(due) == [("failed", "tin_1")]
    assert str(due.events[0].fields["detail"]).startswith("media_unavailable: sha256 mismatch")


def test_a_medium_fixed_before_start_time_plays() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("tin_1")), T0 - 10 * MIN)
    assert ready(speaker, T0 - 10 * MIN) == [("failed", "tin")]  # HTTP 404
    assert ready(speaker, T0 - 10 * MIN + RETRY_MS[0], NEWS) == [("downloaded", "tin")]
    assert events(speaker.tick(T0)) == [("started", "tin_1")]


def test_an_emergency_interrupts_at_once_and_the_normal_one_resumes_after() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("tin_1", until_ms=T0 + 15 * MIN)), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    cached(speaker, T0 - MIN, SIREN)
    speaker.tick(T0)
    flood = entry("lu_1", SIREN, start=T0 + MIN, priority="emergency", volume=100, duration_ms=MIN)
    cut = speaker.apply(play(flood, "khan-1"), T0 + MIN)
    assert cut.ok and events(cut) == [("interrupted", "tin_1"), ("started", "lu_1")]
    assert cut.events[0].fields["position_ms"] == MIN and "emergency lu" in str(cut.events[0].fields["detail"])
    assert cut.events[1].fields["command_id"] == "khan-1" and speaker.volume == 100
    back = speaker.tick(T0 + 2 * MIN)
    assert events(back) == [("finished", "lu_1"), ("resumed", "tin_1")]
    assert events(speaker.tick(T0 + 4 * MIN)) == [("finished", "tin_1")]  # the whole 2 min again


def test_an_interrupted_bulletin_whose_window_closed_is_missed_not_resumed() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("tin_1", until_ms=T0 + 3 * MIN)), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    cached(speaker, T0 - MIN, SIREN)
    speaker.tick(T0)
    speaker.apply(play(entry("lu_1", SIREN, start=T0 + MIN, priority="emergency", duration_ms=5 * MIN)), T0 + MIN)
    closed = speaker.tick(T0 + 3 * MIN + 1)
    assert events(closed) == [("missed", "tin_1")] and closed.events[0].fields["detail"] == "not resumed: window closed"
    assert events(speaker.tick(T0 + 6 * MIN)) == [("finished", "lu_1")]


def test_nothing_normal_plays_over_an_emergency_and_equal_ranks_go_first_in_first_out() -> None:
    speaker = SpeakerLogic()
    first, second = entry("a_1", start=T0, duration_ms=MIN), entry("b_1", start=T0 + 10_000, duration_ms=MIN)
    high = entry("uu-tien_1", start=T0 + 20_000, priority="priority", duration_ms=MIN)
    speaker.configure(plan(first, second, high), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    cached(speaker, T0 - MIN, SIREN)
    speaker.apply(play(entry("lu_1", SIREN, start=T0, priority="emergency", duration_ms=3 * MIN)), T0)
    assert [e for e in events(speaker.tick(T0 + 2 * MIN)) if e[0] == "started"] == []
    assert speaker.state_fields()["occurrence_id"] == "lu_1"
    assert events(speaker.tick(T0 + 3 * MIN)) == [("finished", "lu_1"), ("started", "uu-tien_1")]
    assert events(speaker.tick(T0 + 4 * MIN)) == [("finished", "uu-tien_1"), ("started", "a_1")]
    assert events(speaker.tick(T0 + 5 * MIN)) == [("finished", "a_1"), ("started", "b_1")]


def test_a_bulletin_held_back_past_its_window_is_missed_naming_what_held_it() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("tin_1", start=T0 + MIN, until_ms=T0 + 2 * MIN)), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    cached(speaker, T0 - MIN, SIREN)
    speaker.apply(play(entry("lu_1", SIREN, start=T0, priority="emergency", duration_ms=5 * MIN)), T0)
    missed = speaker.tick(T0 + 2 * MIN + 1)
    assert events(missed) == [("missed", "tin_1")]
    assert missed.events[0].fields["detail"] == "window closed while emergency lu played"


def test_powered_off_at_start_time_is_missed_and_within_the_window_plays_late() -> None:
    speaker = SpeakerLogic()
    early, later = entry("sang_1", start=T0, until_ms=T0 + 5 * MIN), entry("trua_1", start=T0 + 10 * MIN)
    speaker.configure(plan(early, later), T0 - 30 * MIN)
    ready(speaker, T0 - 30 * MIN, NEWS)
    speaker.power_lost(T0 - MIN)
    back = speaker.power_restored(T0 + 11 * MIN)
    assert events(back) == [("missed", "sang_1"), ("started", "trua_1")]
    assert back.events[0].fields["detail"] == "offline at start time"
    assert back.events[1].fields["at_ms"] == T0 + 11 * MIN


def test_power_lost_mid_bulletin_interrupts_it_and_it_resumes_within_its_window() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("tin_1")), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    speaker.tick(T0)
    lost = speaker.power_lost(T0 + MIN)
    assert events(lost) == [("interrupted", "tin_1")] and lost.events[0].fields["detail"] == "power lost"
    assert events(speaker.power_restored(T0 + 3 * MIN)) == [("resumed", "tin_1")]


def test_stop_ends_what_plays_or_cancels_a_waiting_one() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("a_1"), entry("b_1", start=T0 + 30 * MIN)), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    speaker.tick(T0)
    stop = SpeakerSet(command_id="s-1", ts=T0, action="stop")
    stopped = speaker.apply(stop, T0 + 10_000)
    assert events(stopped) == [("stopped", "a_1")] and stopped.ack == {"occurrence_id": "a_1"}
    cancel = SpeakerSet(command_id="s-2", ts=T0, action="stop", occurrence_id="b_1")
    assert events(speaker.apply(cancel, T0 + 20_000)) == [("stopped", "b_1")]
    assert events(speaker.tick(T0 + 30 * MIN)) == [] and speaker.status == "idle"


def test_a_plan_without_an_entry_drops_it_and_a_past_one_is_ignored() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("a_1"), entry("b_1", start=T0 + MIN)), T0 - MIN)
    assert speaker.state_fields()["plan_entries"] == 2
    speaker.configure(plan(entry("b_1", start=T0 + MIN), entry("cu_1", start=T0 - 60 * MIN), version=2), T0 - MIN)
    assert speaker.state_fields()["plan_entries"] == 1 and speaker.state_fields()["config_version"] == 2


def test_hardware_faults_fail_plays_with_the_reason_and_show_in_telemetry() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("tin_1"), entry("chieu_1", start=T0 + 60 * MIN)), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    speaker.tick(T0)
    broken = speaker.set_fault("amp_fault", T0 + MIN)
    assert events(broken) == [("fault", None), ("failed", "tin_1")]
    assert broken.events[1].fields["detail"] == "amp_fault" and speaker.status == "error"
    hot = speaker.sample(T0 + MIN, 5, random.Random(1))
    assert isinstance(hot["amp_temp_c"], float) and hot["amp_temp_c"] > 85 and hot["playing"] is False
    speaker.set_fault("audio_path_broken", T0 + 2 * MIN)
    assert speaker.sample(T0, 5, random.Random(1))["audio_ok"] is False
    refused = speaker.apply(play(entry("lu_1", SIREN, priority="emergency")), T0 + 3 * MIN)
    assert (refused.ok, refused.error) == (False, "audio_path_broken") and events(refused) == [("failed", "lu_1")]
    assert events(speaker.tick(T0 + 60 * MIN)) == [("failed", "chieu_1")]
    assert events(speaker.set_fault(None, T0 + 61 * MIN)) == [("restored", None)]
    assert speaker.state_fields()["status"] == "idle"


def test_telemetry_tracks_playing_volume_and_power() -> None:
    speaker = SpeakerLogic()
    idle = speaker.sample(T0, 42, random.Random(1))
    speaker.configure(plan(entry("tin_1", volume=100)), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    speaker.tick(T0)
    loud = speaker.sample(T0, 43, random.Random(1))
    assert (idle["playing"], loud["playing"], loud["volume"], loud["uptime_s"]) == (False, True, 100, 43)
    assert isinstance(idle["power_w"], float) and isinstance(loud["power_w"], float)
    assert loud["power_w"] > 10 * idle["power_w"] / 2 and idle["audio_ok"] is True


def test_volume_set_holds_for_the_play_under_way_only() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("a_1", volume=80), entry("b_1", start=T0 + 2 * MIN, volume=60)), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    speaker.tick(T0)
    assert speaker.apply(SpeakerSet(command_id="v", ts=T0, action="volume", volume=40), T0 + 1).changed
    assert speaker.volume == 40
    speaker.tick(T0 + 2 * MIN)
    assert speaker.state_fields()["occurrence_id"] == "b_1" and speaker.volume == 60
    speaker.tick(T0 + 4 * MIN)
    assert speaker.volume == 40  # idle again: the volume the set asked for


def test_an_emergency_whose_medium_is_new_starts_once_downloaded() -> None:
    speaker = SpeakerLogic()
    accepted = speaker.apply(play(entry("lu_1", SIREN, priority="emergency")), T0)
    assert accepted.ok and events(accepted) == [] and speaker.status == "idle"
    assert ready(speaker, T0 + 1_500, SIREN) == [("downloaded", "lu"), ("started", "lu_1")]


def test_the_state_stays_within_the_contract_when_a_full_new_plan_arrives_mid_play() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("dang-phat_1")), T0 - MIN)
    ready(speaker, T0 - MIN, NEWS)
    speaker.tick(T0)
    full = [entry(f"moi_{n}", start=T0 + (n + 1) * 60 * MIN) for n in range(MAX_PLAN_ENTRIES)]
    speaker.configure(plan(*full, version=2), T0 + MIN)
    assert speaker.state_fields()["occurrence_id"] == "dang-phat_1"  # it plays on
    state = SpeakerState.model_validate({"ts": T0, "seq": 1, **speaker.state_fields()})
    assert state.plan_entries == MAX_PLAN_ENTRIES and state.media_ready == MAX_PLAN_ENTRIES


def test_a_long_download_error_still_fits_an_event() -> None:
    speaker = SpeakerLogic()
    speaker.configure(plan(entry("tin_1")), T0 - MIN)
    [(digest, _)] = speaker.wanted(T0 - MIN)
    failed = speaker.fetched(digest, None, "HTTP 404 from http://hub.local/" + "x" * 2_000, T0 - MIN)
    due = speaker.tick(T0)
    for event in (*failed.events, *due.events):
        SpeakerEvent.model_validate({"ts": T0, "seq": 1, "event": event.event, **event.fields})
