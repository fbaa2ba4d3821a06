"""The broadcasts API on a whole hub over the in-memory bus: uploads, bulletins, clashes, quiet hours,
emergencies, each speaker's retained plan and `set`, the as-run log from the speakers' events."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from devices.contract import Channel, Kind, topic
from hub.auth.principal import Role
from hub.broadcasts.service import BroadcastOptions
from hub.broadcasts.speech import Voice
from hub.timeutil import now_ms
from tests.auth.clients import bearer
from tests.broadcasts.audio import encode
from tests.broadcasts.kit import TZ
from tests.broadcasts.rig import SPEAKERS, Rig, local, rig
from tests.support.waiting import eventually


@pytest.fixture
def r(tmp_path: Path) -> Iterator[Rig]:
    with rig(tmp_path) as found:
        yield found


def upload(r: Rig, data: bytes) -> Any:
    return r.client.post("/api/media", content=data, headers={**r.head(), "Content-Type": "audio/mpeg"})


def medium(r: Rig, seconds: float = 3.0) -> dict[str, Any]:
    sent = upload(r, encode("mp3", seconds=seconds))
    assert sent.status_code == 201, sent.text
    body: dict[str, Any] = sent.json()
    return body


def test_upload_then_download_by_hash_with_ranges(r: Rig) -> None:
    m = medium(r)
    assert m["duration_s"] == pytest.approx(3.0, abs=0.1) and abs(m["lufs"] + 16) <= 1
    whole = r.client.get(m["url"])  # no account: speakers download like this
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/mpeg"
    import hashlib
    assert hashlib.sha256(whole.content).hexdigest() == m["sha256"]
    part = r.client.get(m["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert r.client.get("/media/" + "0" * 64).status_code == 404
    assert r.client.get("/media/").status_code == 404  # no listing


@pytest.mark.parametrize(("data", "status", "code"), [
    ("Thông báo họp thôn".encode() * 50, 422, "not_audio"),
    (encode("wav", seconds=3.0)[:40_000], 422, "truncated"),
])
def test_a_refused_upload_names_why_and_stores_nothing(r: Rig, data: bytes, status: int, code: str) -> None:
    sent = upload(r, data)
    assert sent.status_code == status, sent.text
    assert sent.json()["detail"]["code"] == code
    assert r.service.media.count() == 0


def test_an_oversized_upload_is_413(r: Rig) -> None:
    sent = upload(r, b"\0" * (20 * 1024 * 1024 + 1))
    assert sent.status_code == 413
    assert r.service.media.count() == 0


def test_a_resident_may_not_upload(r: Rig) -> None:
    sent = r.client.post("/api/media", content=encode("mp3"), headers=bearer(r.hub, Role.RESIDENT))
    assert sent.status_code == 403


def test_a_daily_bulletin_goes_into_every_targeted_speakers_retained_plan(r: Rig) -> None:
    m = medium(r)
    body = {"title": "Bản tin sáng", "sha256": m["sha256"], "times": ["06:00", "17:00"], "targets": ["vung-bac"],
            "repeat": 2, "gap_s": 30, "volume": 70}
    made = r.client.post("/api/broadcasts", json=body, headers=r.head())
    assert made.status_code == 201, made.text
    bulletin = made.json()
    assert bulletin["speakers"] == ["loa-1", "loa-2"] and bulletin["media_url"] == f"/media/{m['sha256']}"
    eventually(lambda: bool(r.on("loa-1", Channel.CONFIG)), what="loa-1's plan")
    plan = r.on("loa-1", Channel.CONFIG)[-1]
    starts = [e["start_ms"] for e in plan["entries"]]
    assert starts == sorted(starts) and starts[-1] - starts[0] <= 48 * 3_600_000
    assert len(starts) in (4, 5)  # 48 h ahead, two a day (and this morning's while it may still start)
    assert {datetime.fromtimestamp(s / 1000, TZ).strftime("%H:%M") for s in starts} == {"06:00", "17:00"}
    entry = plan["entries"][0]
    assert (entry["bulletin_id"], entry["sha256"], entry["repeat"], entry["gap_s"]) == (
        bulletin["id"], m["sha256"], 2, 30)
    assert plan["media_base_url"].endswith("/media")
    assert r.on("loa-3", Channel.CONFIG) == [] or r.on("loa-3", Channel.CONFIG)[-1]["entries"] == []
    everyone = r.client.get("/api/broadcasts", headers=bearer(r.hub, Role.RESIDENT))
    assert [b["id"] for b in everyone.json()] == [bulletin["id"]]


def test_a_clash_is_409_naming_the_other_bulletin_and_its_time(r: Rig) -> None:
    m = medium(r, seconds=120)
    first = r.client.post("/api/broadcasts", json={"title": "Họp thôn", "sha256": m["sha256"],
                                                    "once_at": local(1, "08:00")}, headers=r.head())
    assert first.status_code == 201, first.text
    second = r.client.post("/api/broadcasts", json={"title": "Tiêm phòng", "sha256": m["sha256"],
                                                     "once_at": local(1, "08:01"), "targets": ["loa-2"]},
                           headers=r.head())
    assert second.status_code == 409
    detail = second.json()["detail"]
    assert "Họp thôn" in detail and first.json()["id"] in detail and "08:00" in detail
    warning = r.client.post("/api/broadcasts", json={"title": "Cảnh báo lũ", "sha256": m["sha256"],
                                                      "once_at": local(1, "08:01"), "priority": "priority"},
                            headers=r.head())
    assert warning.status_code == 201, warning.text  # it outranks the routine one: it will cut it


def test_quiet_hours_refuse_a_normal_bulletin_at_night(r: Rig) -> None:
    m = medium(r)
    night = r.client.post("/api/broadcasts", json={"title": "Muộn", "sha256": m["sha256"],
                                                    "once_at": local(1, "23:00")}, headers=r.head())
    assert night.status_code == 422
    assert "giờ yên tĩnh" in night.text and "23:00" in night.text
    urgent = r.client.post("/api/broadcasts", json={"title": "Cháy", "sha256": m["sha256"], "priority": "emergency",
                                                     "once_at": local(1, "23:00")}, headers=r.head())
    assert urgent.status_code == 201


def test_an_emergency_goes_out_at_once_as_set_and_twice_in_a_minute_is_once(r: Rig) -> None:
    r.online(*SPEAKERS)
    eventually(lambda: all(r.hub.registry.get(s) and r.hub.registry.get(s).online for s in SPEAKERS),  # type: ignore[union-attr]
               what="speakers online")
    m = medium(r)
    now = datetime.now().astimezone().isoformat()
    body = {"title": "Khẩn cấp: cháy", "sha256": m["sha256"], "priority": "emergency", "once_at": now}
    first = r.client.post("/api/broadcasts", json=body, headers=r.head())
    assert first.status_code == 201, first.text
    again = r.client.post("/api/broadcasts", json=body, headers=r.head())
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    for speaker in SPEAKERS:
        eventually(lambda s=speaker: bool(r.on(s, Channel.SET)), what=f"set to {speaker}")  # type: ignore[misc]
        sets = r.on(speaker, Channel.SET)
        assert {s["command_id"] for s in sets} == {f"play-{sets[0]['entry']['occurrence_id']}"}
        assert sets[0]["entry"]["priority"] == "emergency"
        assert sets[0]["entry"]["media_url"].endswith(m["sha256"])


def test_the_as_run_log_from_speaker_events_and_as_csv(r: Rig) -> None:
    r.online(*SPEAKERS)
    m = medium(r)
    now = datetime.now().astimezone().isoformat()
    made = r.client.post("/api/broadcasts", json={"title": "Thông báo", "sha256": m["sha256"], "priority": "priority",
                                                   "once_at": now, "targets": ["vung-nam"]}, headers=r.head()).json()
    eventually(lambda: bool(r.on("loa-3", Channel.SET)), what="the set play")
    occurrence = r.on("loa-3", Channel.SET)[0]["entry"]["occurrence_id"]
    at = r.on("loa-3", Channel.SET)[0]["entry"]["start_ms"]
    r.event("loa-3", "started", occurrence, made["id"], at + 500)
    r.event("loa-3", "finished", occurrence, made["id"], at + 3500)
    r.event("loa-4", "missed", occurrence, made["id"], at + 600_000, "offline at start time")

    def logged() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = r.client.get("/api/broadcasts/log", headers=r.head()).json()
        return rows

    eventually(lambda: {x["speaker"]: x["outcome"] for x in logged()} == {"loa-3": "finished", "loa-4": "missed"},
               what="the log rows")
    rows = {x["speaker"]: x for x in logged()}
    assert rows["loa-3"]["vi"] == "Đã phát xong" and rows["loa-4"]["detail"] == "offline at start time"
    got = r.client.get("/api/broadcasts/log?format=csv", headers=r.head())
    assert got.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert table[0][0].startswith("Mã bản tin") and len(table) == 3
    assert any("Bị lỡ" in cell for row in table for cell in row)
    detail = r.client.get(f"/api/broadcasts/{made['id']}", headers=r.head()).json()
    assert detail["delivery"][0]["vi"] == "1/2 loa đã phát xong, 1/2 loa bị lỡ"
    assert r.client.get("/api/broadcasts/log", headers=bearer(r.hub, Role.RESIDENT)).status_code == 403


def test_cancel_stops_it_and_empties_the_plan(r: Rig) -> None:
    r.online(*SPEAKERS)
    m = medium(r)
    now = datetime.now().astimezone().isoformat()
    made = r.client.post("/api/broadcasts", json={"title": "Nhầm", "sha256": m["sha256"], "once_at": now,
                                                   "priority": "priority", "targets": ["loa-1"]},
                         headers=r.head()).json()
    eventually(lambda: bool(r.on("loa-1", Channel.SET)), what="the play")
    cancelled = r.client.post(f"/api/broadcasts/{made['id']}/cancel", headers=r.head())
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    eventually(lambda: any(s["action"] == "stop" for s in r.on("loa-1", Channel.SET)), what="the stop")
    eventually(lambda: r.on("loa-1", Channel.CONFIG)[-1]["entries"] == [], what="an empty plan")


def test_upcoming_shows_each_speakers_programme(r: Rig) -> None:
    m = medium(r)
    r.client.post("/api/broadcasts", json={"title": "Sáng", "sha256": m["sha256"], "times": ["06:00"]},
                  headers=r.head())
    plans = r.client.get("/api/broadcasts/upcoming?days=2", headers=bearer(r.hub, Role.RESIDENT)).json()
    assert [p["speaker"] for p in plans] == list(SPEAKERS)
    assert all(len(p["slots"]) == 2 and p["slots"][0]["outcome"] == "plays" for p in plans)


def test_update_moves_it_and_unknown_ids_are_404(r: Rig) -> None:
    m = medium(r)
    made = r.client.post("/api/broadcasts", json={"title": "A", "sha256": m["sha256"], "times": ["06:00"]},
                         headers=r.head()).json()
    moved = r.client.put(f"/api/broadcasts/{made['id']}", json={"title": "A", "sha256": m["sha256"],
                                                               "times": ["06:30"]}, headers=r.head())
    assert moved.status_code == 200 and moved.json()["times"] == ["06:30"]
    assert r.client.get("/api/broadcasts/bnope", headers=r.head()).status_code == 404
    assert r.client.put("/api/broadcasts/bnope", json={"title": "A", "sha256": m["sha256"], "times": ["06:30"]},
                        headers=r.head()).status_code == 404
    bad = r.client.post("/api/broadcasts", json={"title": "B", "sha256": "f" * 64, "times": ["07:00"]},
                        headers=r.head())
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "sha256"]
    nowhere = r.client.post("/api/broadcasts", json={"title": "C", "sha256": m["sha256"], "times": ["07:00"],
                                                      "targets": ["vung-tay"]}, headers=r.head())
    assert nowhere.status_code == 422 and "vung-tay" in nowhere.text


def test_text_bulletin_spoken_and_previewed(r: Rig) -> None:
    preview = r.client.post("/api/media/speech", json={"text": "Họp thôn lúc 19:30 ngày 2/9."}, headers=r.head())
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert "mười chín giờ ba mươi phút" in body["text"] and body["medium"]["duration_s"] > 1
    assert r.client.get(body["medium"]["url"]).status_code == 200  # "Nghe thử"


def test_without_speech_the_bulletin_goes_out_as_text_with_a_note(tmp_path: Path) -> None:
    with rig(tmp_path, BroadcastOptions(tick_s=0.05, voice=Voice(binary="/nonexistent/espeak-ng"))) as r:
        made = r.client.post("/api/broadcasts", json={"title": "Văn bản", "text": "Mời họp lúc 19:30.",
                                                       "times": ["06:00"]}, headers=r.head())
        assert made.status_code == 201, made.text
        b = made.json()
        assert b["media_sha256"] is None and "dạng văn bản" in b["note"]
        assert b["spoken_text"] == "Mời họp lúc mười chín giờ ba mươi phút."
        now = r.client.post("/api/broadcasts", json={"title": "Ngay", "text": "Mời họp.", "priority": "priority",
                                                      "once_at": datetime.now().astimezone().isoformat()},
                            headers=r.head()).json()

        def logged() -> set[tuple[str, str | None]]:
            rows = r.client.get(f"/api/broadcasts/log?bulletin={now['id']}", headers=r.head()).json()
            return {(x["outcome"], x["detail"]) for x in rows}

        eventually(lambda: len(logged()) == 1, 30, "its runs logged")  # never a silent failure
        ((outcome, detail),) = logged()
        assert outcome == "failed" and detail is not None and "dạng văn bản" in detail
        assert r.on("loa-1", Channel.SET) == []  # nothing to play: nothing sent


def test_the_home_screen_names_the_next_bulletin(r: Rig) -> None:
    assert r.client.get("/api/home", headers=r.head()).json()["next_bulletin"] is None
    m = medium(r)
    r.client.post("/api/broadcasts", json={"title": "Bản tin chiều", "sha256": m["sha256"],
                                           "once_at": local(2, "17:00")}, headers=r.head())
    shown = r.client.get("/api/home", headers=bearer(r.hub, Role.RESIDENT)).json()["next_bulletin"]
    assert shown.startswith("17:00 ") and shown.endswith("— Bản tin chiều")


def telemetry(r: Rig, speaker: str, **fields: Any) -> None:
    r.seq += 1
    body = {"ts": now_ms(), "seq": r.seq, "volume": 70, "amp_temp_c": 40.0, "signal_dbm": -70.0, "uptime_s": 5,
            "playing": False, "audio_ok": True, **fields}
    r.device.publish(topic(r.hub.site.id, Kind.SPEAKER, speaker, Channel.TELEMETRY), json.dumps(body).encode())


def test_speaker_faults_open_and_close_from_telemetry(r: Rig) -> None:
    r.online("loa-1")
    telemetry(r, "loa-1", amp_temp_c=91.0, audio_ok=False, signal_dbm=-113.0)

    def faults(open_only: bool = True) -> dict[str, dict[str, Any]]:
        rows = r.client.get(f"/api/broadcasts/faults?open={str(open_only).lower()}", headers=r.head()).json()
        return {f["kind"]: f for f in rows}

    eventually(lambda: set(faults()) == {"amp_over_temp", "audio_path", "no_signal"}, what="three faults")
    assert faults()["amp_over_temp"]["vi"] == "Loa 1: Bộ khuếch đại quá nóng"
    # The home screen counts devices in fault: one speaker with three faults is one.
    assert r.client.get("/api/home", headers=bearer(r.hub, Role.RESIDENT)).json()["faults"] == 1
    telemetry(r, "loa-1", amp_temp_c=82.0)  # cooling, not yet cool: stays open (no flapping at the limit)
    eventually(lambda: set(faults()) == {"amp_over_temp"}, what="audio and signal back")
    telemetry(r, "loa-1", amp_temp_c=60.0)
    eventually(lambda: faults() == {}, what="all closed")
    assert r.client.get("/api/home", headers=r.head()).json()["faults"] == 0
    seen = r.client.post(f"/api/broadcasts/faults/{faults(False)['amp_over_temp']['id']}/seen", headers=r.head())
    assert seen.status_code == 200 and seen.json()["seen_ms"] is not None


def test_a_speaker_gone_offline_is_a_fault(tmp_path: Path) -> None:
    with rig(tmp_path, BroadcastOptions(tick_s=0.05, offline_hold_ms=0)) as r:
        r.online("loa-2")
        eventually(lambda: bool(r.hub.registry.get("loa-2") and r.hub.registry.get("loa-2").online),  # type: ignore[union-attr]
                   what="online")
        r.device.publish(topic(r.hub.site.id, Kind.SPEAKER, "loa-2", Channel.AVAILABILITY), b"offline", retain=True)

        def offline_open() -> bool:
            rows = r.client.get("/api/broadcasts/faults?open=true", headers=r.head()).json()
            return [(f["kind"], f["subject"]) for f in rows] == [("offline", "loa-2")]

        eventually(offline_open, what="the offline fault")
        r.online("loa-2")
        eventually(lambda: not offline_open(), what="closed again")


def test_a_set_follows_the_shared_command_lifecycle_per_speaker(r: Rig) -> None:
    r.online("loa-1", "loa-2")  # loa-3 and loa-4 are not there yet
    eventually(lambda: all(r.hub.registry.get(s).online for s in ("loa-1", "loa-2")), what="two online")  # type: ignore[union-attr]
    m = medium(r)
    r.client.post("/api/broadcasts", json={"title": "Khẩn", "sha256": m["sha256"], "priority": "emergency",
                                           "once_at": datetime.now().astimezone().isoformat()}, headers=r.head())
    eventually(lambda: bool(r.on("loa-1", Channel.SET)), what="the set")
    command_id = r.on("loa-1", Channel.SET)[0]["command_id"]
    progress = r.service.sender.progress
    assert progress(command_id)["loa-3"] == "queued"
    for speaker, ok in (("loa-1", True), ("loa-2", False)):
        r.seq += 1
        ack = {"ts": now_ms(), "seq": r.seq, "command_id": command_id, "ok": ok,
               **({} if ok else {"error": "amp_fault"})}
        r.device.publish(topic(r.hub.site.id, Kind.SPEAKER, speaker, Channel.ACK), json.dumps(ack).encode())
    eventually(lambda: (progress(command_id)["loa-1"], progress(command_id)["loa-2"]) == ("confirmed", "failed"),
               what="confirmed and refused")
    r.online("loa-3")  # back within the window: it gets the same command, same id
    eventually(lambda: progress(command_id)["loa-3"] in ("sent", "delivered"), what="sent on return")
    assert r.on("loa-3", Channel.SET)[0]["command_id"] == command_id
