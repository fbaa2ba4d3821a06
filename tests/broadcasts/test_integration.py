"""Bulletins end to end: a real hub on a real mosquitto, simulated speakers downloading the hub's media over
HTTP and playing on a shared controlled clock. The clock is moved to each start time; the media play for
their real (short) durations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulators.fleet import Fleet
from tests.broadcasts.mqttrig import MINUTE, Running, ShiftedClock, next_minute, speakers_and_hub, start_hub
from tests.broadcasts.rig import SPEAKERS, speaker_site
from tests.simulators.probe import Probe, Received
from tests.support.mosquitto import Mosquitto
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
SITE = speaker_site()
Rig = tuple[ShiftedClock, Fleet, Running]


@pytest.fixture
def rig(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Rig]:
    with speakers_and_hub(tmp_path, mosquitto, SITE) as found:
        yield found


def outcomes(run: Running, bulletin_id: str) -> dict[tuple[str, str], str]:
    return {k: r["outcome"] for k, r in run.log().items() if r["bulletin_id"] == bulletin_id}


def ready(run: Running, *speakers: str) -> None:
    """Every speaker runs the plan it was sent and has its media verified (downloaded ahead of time)."""
    def check() -> bool:
        for s in speakers:
            live = run.hub.registry.get(s)
            state: dict[str, Any] = live.state if live else {}
            if not state.get("plan_entries") or state.get("media_ready") != state.get("plan_entries"):
                return False
        return True
    eventually(check, 20, "plans and media on the speakers")


def test_a_recurring_bulletin_plays_at_each_occurrence_and_the_log_has_every_play(rig: Rig) -> None:
    clock, _, run = rig
    first = next_minute(clock)
    times = [clock.local(first).strftime("%H:%M"), clock.local(first + 2 * MINUTE).strftime("%H:%M")]
    sha = run.upload(2.0)
    b = run.post("/api/broadcasts", {"title": "Bản tin định kỳ", "sha256": sha, "times": times})
    clash = run.api.post("/api/broadcasts", json={"title": "Trùng", "sha256": sha, "times": [times[0]],
                                                   "targets": ["loa-3"]})
    assert clash.status_code == 409 and "Bản tin định kỳ" in clash.json()["detail"]
    ready(run, *SPEAKERS)
    for start in (first, first + 2 * MINUTE):
        clock.advance_to(start - 500)
        occurrence = f"{b['id']}-{clock.local(start):%Y%m%d%H%M}"
        eventually(lambda o=occurrence: [outcomes(run, b["id"]).get((o, s)) for s in SPEAKERS] == ["finished"] * 4,  # type: ignore[misc]
                   30, f"every speaker finished {occurrence}")
    rows = [r for r in run.log().values() if r["bulletin_id"] == b["id"]]
    assert len(rows) == 8
    for r in rows:  # aired at the planned time on the speakers' clock
        assert r["started"] >= r["planned"] and r["interruptions"] == 0


def test_an_emergency_interrupts_on_every_speaker_and_the_normal_one_resumes(rig: Rig) -> None:
    clock, _, run = rig
    start = next_minute(clock)
    news = run.post("/api/broadcasts", {"title": "Tin sáng", "sha256": run.upload(6.0),
                                        "once_at": clock.local(start).isoformat()})
    siren = run.upload(2.0)
    ready(run, *SPEAKERS)
    clock.advance_to(start)
    occurrence = f"{news['id']}-{clock.local(start):%Y%m%d%H%M}"
    eventually(lambda: list(outcomes(run, news["id"]).values()) == ["started"] * 4, 20, "the news playing")
    alarm = run.post("/api/broadcasts", {"title": "Khẩn cấp: lũ", "sha256": siren, "priority": "emergency",
                                         "once_at": clock.local().isoformat()})
    eventually(lambda: list(outcomes(run, alarm["id"]).values()) == ["finished"] * 4, 30, "the alarm aired")
    eventually(lambda: list(outcomes(run, news["id"]).values()) == ["finished"] * 4, 30, "the news resumed")
    for s in SPEAKERS:
        news_row = run.log()[(occurrence, s)]
        alarm_row = next(r for (o, sp), r in run.log().items() if sp == s and r["bulletin_id"] == alarm["id"])
        assert news_row["interruptions"] == 1
        assert news_row["ended"] > alarm_row["ended"]  # it finished after the emergency: resumed


def test_a_speaker_off_at_start_is_logged_missed(rig: Rig) -> None:
    clock, fleet, run = rig
    start = next_minute(clock)
    b = run.post("/api/broadcasts", {"title": "Họp thôn", "sha256": run.upload(1.5), "window_min": 1,
                                     "once_at": clock.local(start).isoformat(), "targets": ["vung-bac"]})
    ready(run, "loa-1", "loa-2")
    fleet.device("loa-2").power_off()
    clock.advance_to(start)
    occurrence = f"{b['id']}-{clock.local(start):%Y%m%d%H%M}"
    eventually(lambda: outcomes(run, b["id"]).get((occurrence, "loa-2")) == "no_report", 20, "dead air noticed")
    eventually(lambda: outcomes(run, b["id"]).get((occurrence, "loa-1")) == "finished", 20)
    clock.advance_to(start + 2 * MINUTE)  # past its window
    fleet.device("loa-2").power_on()
    eventually(lambda: outcomes(run, b["id"]).get((occurrence, "loa-2")) == "missed", 30, "loa-2 reports missed")
    assert run.log()[(occurrence, "loa-2")]["detail"]  # the speaker says why (its window closed while it was off)


def test_with_the_hub_stopped_speakers_play_on_time_and_it_is_logged_after(
        rig: Rig, tmp_path: Path, mosquitto: Mosquitto) -> None:
    clock, _, run = rig
    start = next_minute(clock)
    b = run.post("/api/broadcasts", {"title": "Lịch cố định", "sha256": run.upload(1.5),
                                     "once_at": clock.local(start).isoformat()})
    ready(run, *SPEAKERS)
    port = run.server.config.port
    run.stop()  # the hub goes away; the speakers keep their retained plans and their media
    clock.advance_to(start)
    occurrence = f"{b['id']}-{clock.local(start):%Y%m%d%H%M}"
    time.sleep(3)  # the bulletin (1.5 s) airs with no hub
    again = start_hub(tmp_path, mosquitto, SITE, clock, port)
    try:
        eventually(lambda: [outcomes(again, b["id"]).get((occurrence, s)) for s in SPEAKERS] == ["finished"] * 4,
                   30, "the plays reported to the restarted hub")
        for s in SPEAKERS:
            row = again.log()[(occurrence, s)]
            started = clock.local().fromisoformat(row["started"]).timestamp() * 1000
            assert start <= started < start + 2_000, row  # at the right time, by the speaker's own clock
    finally:
        again.stop()


def test_a_wrong_hash_download_is_refused_by_the_speaker_and_reported(rig: Rig) -> None:
    clock, fleet, run = rig
    fleet.inject("loa-4", "wrong_hash")
    start = next_minute(clock)
    b = run.post("/api/broadcasts", {"title": "Tin chiều", "sha256": run.upload(1.5),
                                     "once_at": clock.local(start).isoformat(), "targets": ["vung-nam"]})
    ready(run, "loa-3")
    clock.advance_to(start)
    occurrence = f"{b['id']}-{clock.local(start):%Y%m%d%H%M}"
    eventually(lambda: outcomes(run, b["id"]) == {(occurrence, "loa-3"): "finished", (occurrence, "loa-4"): "failed"},
               30, "loa-3 aired, loa-4 failed")
    assert "sha256" in run.log()[(occurrence, "loa-4")]["detail"]


def test_a_hub_restart_in_the_middle_of_an_emergency_never_plays_it_twice(
        rig: Rig, tmp_path: Path, mosquitto: Mosquitto) -> None:
    clock, _, run = rig
    siren = run.upload(5.0)
    with Probe(mosquitto.host, mosquitto.port, [f"hamlet/v1/{SITE.id}/speaker/+/event"]) as probe:
        alarm = run.post("/api/broadcasts", {"title": "Khẩn cấp", "sha256": siren, "priority": "emergency",
                                             "once_at": clock.local().isoformat()})

        def started(m: Received) -> bool:
            body = m.json()
            return bool(body["event"] == "started" and body.get("bulletin_id") == alarm["id"])

        probe.wait_for(started, 15, count=4)  # playing everywhere
        port = run.server.config.port
        run.stop()  # mid-bulletin: the plan (with the emergency in it) and the set were both delivered
        again = start_hub(tmp_path, mosquitto, SITE, clock, port)  # re-pushes every plan on its first tick
        try:
            eventually(lambda: list(outcomes(again, alarm["id"]).values()) == ["finished"] * 4, 30, "all finished")
            time.sleep(1)  # a replay would start at once on the re-pushed plan
            per_speaker = [m.topic.split("/")[4] for m in probe.messages if started(m)]
            assert sorted(per_speaker) == sorted(SPEAKERS), per_speaker  # one start each
        finally:
            again.stop()
