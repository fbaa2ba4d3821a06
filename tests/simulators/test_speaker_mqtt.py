"""Simulated loudspeakers against a real mosquitto, media from a small local HTTP server, on a controlled clock.

No hub runs in these tests: what a hub leaves behind (a retained plan, a `set`) is published by hand. The
clock is moved past start times in steps; the speakers notice within clock_check_s.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract import Channel, Kind, hub_availability_topic, topic
from devices.speaker import PlanEntry, SpeakerAck, SpeakerConfig, SpeakerEvent, SpeakerState
from simulators import control
from simulators.fleet import Fleet
from simulators.netloop import NetLoop
from simulators.speaker import SpeakerSim
from tests.simulators.clock import MINUTE, ControlledClock
from tests.simulators.conftest import SITE
from tests.simulators.probe import Probe, Received
from tests.simulators.sites import small_site
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.integration
SPEAKERS = ("loa-01", "loa-02")
T0 = 1_764_453_600_000  # 2025-11-30 06:00 +07:00
NEWS, SIREN = b"ID3 tin sang " * 400, b"OggS coi bao dong " * 300


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class MediaServer:
    """GET /media/{sha256} from a dict the test fills; counts requests per path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.hits: dict[str, int] = {}
        media = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                media.hits[self.path] = media.hits.get(self.path, 0) + 1
                body = media.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}/media"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def serve(self, body: bytes, as_sha: str | None = None) -> str:
        digest = as_sha or sha(body)
        self.files[f"/media/{digest}"] = body
        return digest

    def __enter__(self) -> MediaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def t(device: str, channel: Channel) -> str:
    return topic(SITE, Kind.SPEAKER, device, channel)


def entry(occurrence: str, digest: str, start: int, **fields: Any) -> PlanEntry:
    values = {"occurrence_id": occurrence, "bulletin_id": occurrence.split("_")[0], "start_ms": start,
              "sha256": digest, "duration_ms": 2 * MINUTE, "volume": 80, **fields}
    return PlanEntry.model_validate(values)


def event(device: str, name: str, occurrence: str | None = None) -> Callable[[Received], bool]:
    def match(m: Received) -> bool:
        if m.topic != t(device, Channel.EVENT):
            return False
        body = m.json()
        return bool(body["event"] == name and (occurrence is None or body.get("occurrence_id") == occurrence))

    return match


def state(device: str, **expected: object) -> Callable[[Received], bool]:
    def match(m: Received) -> bool:
        return m.topic == t(device, Channel.STATE) and all(m.json()[k] == v for k, v in expected.items())

    return match


def availability(device: str, text: str) -> Callable[[Received], bool]:
    return lambda m: m.topic == t(device, Channel.AVAILABILITY) and m.text == text


def ack_of(device: str) -> Callable[[Received], bool]:
    return lambda m: m.topic == t(device, Channel.ACK)


def events_of(probe: Probe, device: str) -> list[SpeakerEvent]:
    return [SpeakerEvent.model_validate_json(m.payload) for m in probe.on(t(device, Channel.EVENT))]


def as_the_hub_then_gone(mosquitto: Mosquitto, config: SpeakerConfig) -> None:
    """What a hub leaves behind when it stops: retained plans and its own availability `offline`."""
    hub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hamlet-hub", protocol=mqtt.MQTTv311)
    hub.connect(mosquitto.host, mosquitto.port)
    hub.loop_start()
    try:
        body = config.model_dump_json(exclude_none=True)
        sent = [hub.publish(t(d, Channel.CONFIG), body, qos=1, retain=True) for d in SPEAKERS]
        sent.append(hub.publish(hub_availability_topic(SITE), "offline", qos=1, retain=True))
        for info in sent:
            info.wait_for_publish(5)
    finally:
        hub.disconnect()
        hub.loop_stop()


@pytest.fixture
def media() -> Iterator[MediaServer]:
    with MediaServer() as server:
        yield server


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock(T0 - 30 * MINUTE)


@pytest.fixture
def speakers(mosquitto: Mosquitto, net: NetLoop, probe: Probe, clock: ControlledClock) -> Iterator[list[SpeakerSim]]:
    devices = [SpeakerSim(SITE, d, net, mosquitto.host, mosquitto.port, telemetry_interval_s=60, clock=clock,
                          clock_check_s=0.05) for d in SPEAKERS]
    yield devices
    for device in devices:
        device.stop()
    for device in devices:
        assert device.closed.wait(5)


def start(speakers: list[SpeakerSim], probe: Probe) -> None:
    for device in speakers:
        device.start()
    for device in speakers:
        probe.wait_text(t(device.device_id, Channel.AVAILABILITY), "online")


def test_with_no_hub_the_speakers_play_their_retained_plan_at_the_right_times(
    mosquitto: Mosquitto, probe: Probe, media: MediaServer, speakers: list[SpeakerSim], clock: ControlledClock
) -> None:
    news = media.serve(NEWS)
    plan = SpeakerConfig(version=3, media_base_url=media.base, entries=[
        entry("sang_1", news, T0, repeat=2, gap_s=30), entry("chieu_1", news, T0 + 11 * 60 * MINUTE)])
    as_the_hub_then_gone(mosquitto, plan)
    start(speakers, probe)
    for device in SPEAKERS:  # fetched ahead of time, once: both occurrences share the medium
        probe.wait_for(event(device, "downloaded"))
        probe.wait_for(state(device, media_ready=2))
    assert media.hits == {f"/media/{news}": 2}

    clock.set(T0 + 500)
    began = {}
    for device in SPEAKERS:
        started = SpeakerEvent.model_validate_json(probe.wait_for(event(device, "started", "sang_1"))[0].payload)
        assert started.at_ms is not None and T0 <= started.at_ms <= T0 + 500 and started.ts >= T0
        began[device] = started.at_ms
        playing = probe.wait_for(state(device, status="playing"))
        assert SpeakerState.model_validate_json(playing[0].payload).occurrence_id == "sang_1"
    clock.set(T0 + 4 * MINUTE)  # the second play and the gap are still under way
    clock.set(T0 + 4 * MINUTE + 30_000 + 500)
    for device in SPEAKERS:
        finished = probe.wait_for(event(device, "finished", "sang_1"))[0]
        assert SpeakerEvent.model_validate_json(finished.payload).at_ms == began[device] + 4 * MINUTE + 30_000
    clock.set(T0 + 11 * 60 * MINUTE + 200)  # the afternoon one, same medium, not fetched again
    for device in SPEAKERS:
        probe.wait_for(event(device, "started", "chieu_1"))
        assert [e.event for e in events_of(probe, device) if e.occurrence_id == "sang_1"] == ["started", "finished"]
    assert media.hits == {f"/media/{news}": 2}


def test_a_wrong_hash_download_is_refused_and_reported(
    mosquitto: Mosquitto, probe: Probe, media: MediaServer, speakers: list[SpeakerSim], clock: ControlledClock
) -> None:
    claimed = sha(NEWS)
    media.serve(NEWS + b" (cut short on the hub)", as_sha=claimed)
    as_the_hub_then_gone(mosquitto, SpeakerConfig(version=1, media_base_url=media.base,
                                                  entries=[entry("sang_1", claimed, T0)]))
    start(speakers, probe)
    for device in SPEAKERS:
        refused = SpeakerEvent.model_validate_json(probe.wait_for(event(device, "failed"))[0].payload)
        assert refused.sha256 == claimed and refused.detail is not None and "sha256 mismatch" in refused.detail
    clock.set(T0 + 500)
    for device in SPEAKERS:
        failed = SpeakerEvent.model_validate_json(probe.wait_for(event(device, "failed", "sang_1"))[0].payload)
        assert failed.detail is not None and failed.detail.startswith("media_unavailable: sha256 mismatch")
        assert not [e for e in events_of(probe, device) if e.event == "started"]


def test_a_speaker_powered_off_at_start_time_reports_missed_when_it_returns(
    mosquitto: Mosquitto, probe: Probe, media: MediaServer, speakers: list[SpeakerSim], clock: ControlledClock
) -> None:
    news = media.serve(NEWS)
    as_the_hub_then_gone(mosquitto, SpeakerConfig(version=1, media_base_url=media.base,
                                                  entries=[entry("sang_1", news, T0, until_ms=T0 + 5 * MINUTE)]))
    start(speakers, probe)
    for device in SPEAKERS:
        probe.wait_for(event(device, "downloaded"))
    off, on = speakers
    off.power_off()
    probe.wait_text(t(off.device_id, Channel.AVAILABILITY), "offline")
    clock.set(T0 + 500)
    probe.wait_for(event(on.device_id, "started", "sang_1"))
    clock.set(T0 + 6 * MINUTE)
    off.power_on()
    missed = SpeakerEvent.model_validate_json(probe.wait_for(event(off.device_id, "missed", "sang_1"))[0].payload)
    assert missed.detail == "offline at start time" and missed.at_ms == T0 + 6 * MINUTE
    assert [e.event for e in events_of(probe, off.device_id)] == ["downloaded", "missed"]


def test_an_emergency_set_interrupts_and_the_normal_bulletin_resumes(
    mosquitto: Mosquitto, probe: Probe, media: MediaServer, speakers: list[SpeakerSim], clock: ControlledClock
) -> None:
    news, siren = media.serve(NEWS), media.serve(SIREN)
    as_the_hub_then_gone(mosquitto, SpeakerConfig(version=1, media_base_url=media.base,
                                                  entries=[entry("sang_1", news, T0, until_ms=T0 + 15 * MINUTE)]))
    start(speakers, probe)
    clock.set(T0 + 500)
    for device in SPEAKERS:
        probe.wait_for(event(device, "started", "sang_1"))
    clock.set(T0 + MINUTE)
    flood = entry("lu_1", siren, T0 + MINUTE, priority="emergency", volume=100, duration_ms=MINUTE,
                  media_url=f"{media.base}/{siren}")
    body = {"command_id": "khan-1", "ts": clock(), "action": "play", "entry": flood.model_dump(exclude_none=True)}
    for _ in range(2):  # QoS 1 may deliver twice: the command id keeps it to one play
        for device in SPEAKERS:
            probe.client.publish(t(device, Channel.SET), json.dumps(body), qos=1).wait_for_publish(5)
    for device in SPEAKERS:
        cut = SpeakerEvent.model_validate_json(probe.wait_for(event(device, "interrupted", "sang_1"))[0].payload)
        assert cut.detail == "by emergency lu" and cut.position_ms == MINUTE - 500
        probe.wait_for(event(device, "started", "lu_1"))
        acks = [SpeakerAck.model_validate_json(m.payload) for m in
                probe.wait_for(ack_of(device), count=2)]
        assert [(a.command_id, a.ok, a.occurrence_id) for a in acks] == [("khan-1", True, "lu_1")] * 2
    clock.set(T0 + 2 * MINUTE + 100)
    for device in SPEAKERS:
        probe.wait_for(event(device, "resumed", "sang_1"))
    clock.set(T0 + 4 * MINUTE + 200)
    for device in SPEAKERS:
        probe.wait_for(event(device, "finished", "sang_1"))
        assert [(e.event, e.occurrence_id) for e in events_of(probe, device) if e.event != "downloaded"] == [
            ("started", "sang_1"), ("interrupted", "sang_1"), ("started", "lu_1"), ("finished", "lu_1"),
            ("resumed", "sang_1"), ("finished", "sang_1")]


def test_a_speaker_that_loses_its_network_mid_bulletin_plays_on_and_reports_after(
    mosquitto: Mosquitto, probe: Probe, media: MediaServer, speakers: list[SpeakerSim], clock: ControlledClock
) -> None:
    news = media.serve(NEWS)
    as_the_hub_then_gone(mosquitto, SpeakerConfig(version=1, media_base_url=media.base,
                                                  entries=[entry("sang_1", news, T0)]))
    start(speakers, probe)
    flaky = speakers[0]
    probe.wait_for(event(flaky.device_id, "downloaded"))
    flaky.fault = "offline_mid_bulletin"
    clock.set(T0 + 500)
    probe.wait_for(event(flaky.device_id, "started", "sang_1"))
    clock.set(T0 + MINUTE + 600)
    probe.wait_for(lambda m: m.topic == t(flaky.device_id, Channel.AVAILABILITY) and m.text == "offline")
    clock.set(T0 + 2 * MINUTE + 600)  # it ends while the link is down; the link returns after it
    finished = probe.wait_for(event(flaky.device_id, "finished", "sang_1"), timeout=10)[0]
    assert SpeakerEvent.model_validate_json(finished.payload).at_ms == T0 + 2 * MINUTE + 500
    assert probe.on(t(flaky.device_id, Channel.AVAILABILITY))[-1].text == "online"


def test_faults_and_power_cuts_come_from_the_fleets_control_at_run_time(
    mosquitto: Mosquitto, probe: Probe, media: MediaServer, clock: ControlledClock
) -> None:
    news = media.serve(NEWS)
    as_the_hub_then_gone(mosquitto, SpeakerConfig(version=1, media_base_url=media.base, entries=[
        entry("sang_1", news, T0, until_ms=T0 + 5 * MINUTE), entry("trua_1", news, T0 + 60 * MINUTE)]))
    fleet = Fleet(small_site(lights=0, speakers=2, cameras=0), mosquitto.host, mosquitto.port,
                  telemetry_interval_s=60, clock=clock, clock_check_s=0.05)
    try:
        assert control.apply_request(fleet, {"device": "loa-02", "fault": "wrong_hash"}) == {"ok": True}
        assert fleet.start(wait_s=5)
        probe.wait_for(event("loa-01", "downloaded"))
        refused = SpeakerEvent.model_validate_json(probe.wait_for(event("loa-02", "failed"))[0].payload)
        assert refused.detail is not None and "sha256 mismatch" in refused.detail
        assert control.apply_request(fleet, {"device": "loa-01", "power": False}) == {"ok": True}
        probe.wait_text(t("loa-01", Channel.AVAILABILITY), "offline")
        clock.set(T0 + 6 * MINUTE)
        probe.wait_for(event("loa-02", "failed", "sang_1"))
        assert control.apply_request(fleet, {"device": "loa-01", "power": True}) == {"ok": True}
        probe.wait_for(event("loa-01", "missed", "sang_1"))
        assert control.apply_request(fleet, {"device": "loa-01", "fault": "amp_fault"}) == {"ok": True}
        probe.wait_for(lambda m: event("loa-01", "fault")(m) and "amp_fault" in m.json()["detail"])
        clock.set(T0 + 60 * MINUTE + 100)
        amp = SpeakerEvent.model_validate_json(probe.wait_for(event("loa-01", "failed", "trua_1"))[0].payload)
        assert amp.detail == "amp_fault"
        probe.wait_for(state("loa-01", status="error"))
    finally:
        fleet.stop()


def test_a_drifting_clock_plays_early_and_a_download_error_fails_the_bulletin_with_why(
    mosquitto: Mosquitto, probe: Probe, media: MediaServer, speakers: list[SpeakerSim], clock: ControlledClock
) -> None:
    news = media.serve(NEWS)
    drifting, cut_off = speakers
    drifting.fault, cut_off.fault = "clock_drift", "download_error"
    as_the_hub_then_gone(mosquitto, SpeakerConfig(version=1, media_base_url=media.base,
                                                  entries=[entry("sang_1", news, T0)]))
    start(speakers, probe)
    probe.wait_for(event(drifting.device_id, "downloaded"))
    refused = SpeakerEvent.model_validate_json(probe.wait_for(event(cut_off.device_id, "failed"))[0].payload)
    assert refused.detail is not None and "HTTP 503" in refused.detail and media.hits == {f"/media/{news}": 1}
    clock.set(T0 - 2 * MINUTE + 500)  # true time, two minutes before the bulletin: the fast clock says it is due
    early = SpeakerEvent.model_validate_json(probe.wait_for(event(drifting.device_id, "started", "sang_1"))[0].payload)
    assert early.at_ms is not None and early.at_ms >= T0 and early.ts >= T0
    clock.set(T0 + 500)
    failed = SpeakerEvent.model_validate_json(probe.wait_for(event(cut_off.device_id, "failed", "sang_1"))[0].payload)
    assert failed.detail is not None and failed.detail.startswith("media_unavailable: download: HTTP 503")


def test_a_bulletin_is_never_played_twice_across_repushed_plans_and_reconnects(
    mosquitto: Mosquitto, probe: Probe, media: MediaServer, speakers: list[SpeakerSim], clock: ControlledClock
) -> None:
    news = media.serve(NEWS)
    plan = SpeakerConfig(version=1, media_base_url=media.base, entries=[entry("sang_1", news, T0)])
    as_the_hub_then_gone(mosquitto, plan)
    start(speakers, probe)
    clock.set(T0 + 500)
    for device in SPEAKERS:
        probe.wait_for(event(device, "started", "sang_1"))
    as_the_hub_then_gone(mosquitto, plan.model_copy(update={"version": 2}))  # a restarted hub pushes it again
    for device in SPEAKERS:
        probe.wait_for(state(device, config_version=2, occurrence_id="sang_1"))
    clock.set(T0 + 2 * MINUTE + 600)
    for device in SPEAKERS:
        probe.wait_for(event(device, "finished", "sang_1"))
    for sim in speakers:  # the link drops and returns: the retained plan arrives once more
        sim.go_offline()
        probe.wait_text(t(sim.device_id, Channel.AVAILABILITY), "offline")
        sim.come_online()
    for device in SPEAKERS:
        probe.wait_for(availability(device, "online"), count=2)
        probe.wait_for(state(device, config_version=2, status="idle"), count=3)  # finished, reconnected, re-planned
    clock.set(T0 + 3 * MINUTE)
    for device in SPEAKERS:
        assert [e.event for e in events_of(probe, device)] == ["downloaded", "started", "finished"]
