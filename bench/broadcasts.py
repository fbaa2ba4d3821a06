"""Emergency broadcast benchmark: simulated loudspeakers on a real mosquitto, media from a local HTTP server.

Every speaker is playing a normal bulletin from its retained plan when a paho client (standing in for the
hub's emergency tap) publishes an emergency `set` play to each of them. What is timed, from the first publish:
  - every speaker's `started` event for the emergency (p50, p99 and the last), which is the real path: set ->
    broker -> speaker -> (fetch + sha256 check of a new medium) -> interrupt -> event -> broker -> client;
  - in the same run, the baseline: a raw paho `set` (volume) to every speaker and its ack back, the fastest
    round trip the broker and the simulators allow (p50, p99, last).
The first alert carries a medium no speaker has: each fetches it over HTTP and checks it. Later alerts reuse
it (a siren is cached by sha256), so they show the MQTT path alone.

Then, with the speakers stopped, text-to-speech for a 30-second bulletin (bench/speech.py's text) through the
hub's own `speak` (hub/broadcasts/speech.py): the real-time factor (seconds of work per second of speech,
printed as ms per s) of the text normalisation, of espeak-ng alone (its wall time inside the same call) and of
the whole path (normalise -> espeak-ng -> decode -> EBU R128 loudness + limiter -> MP3), each beside real time.

    .venv/bin/python bench/broadcasts.py [--speakers 100] [--rounds 5] [--speech-rounds 3]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import figure, no_delay, percentile, wait_for
from bench.speech import TEXT
from devices.contract import PREFIX, Channel, Kind, topic
from devices.speaker import PlanEntry, SpeakerConfig
from hub.broadcasts.speech import speak, speakable
from simulators.fleet import Fleet
from simulators.stamp import now_ms
from tests.simulators.sites import small_site
from tests.support.mosquitto import Mosquitto, start_mosquitto

SITE = "bench-loa"
SIREN = b"OggS" + bytes(range(256)) * 160  # ~40 KB, about what 3 s of speech is at 96 kbit/s


NEWS = b"ID3" + bytes(range(256)) * 600  # the morning bulletin playing when the alert comes


class MediaHTTPServer(ThreadingHTTPServer):
    # http.server listens with a backlog of 5: a burst of speakers would wait out SYN retries (1 s) that the
    # hub's server (uvicorn, backlog 2048) never imposes.
    request_queue_size = 1024


def serve_media(*bodies: bytes) -> tuple[ThreadingHTTPServer, str]:
    """GET /media/{sha256}, as the hub serves them."""
    files = {f"/media/{hashlib.sha256(b).hexdigest()}": b for b in bodies}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = MediaHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/media"


class Watcher:
    """A paho client standing in for the hub: publishes sets, and stamps every ack and event on arrival."""

    def __init__(self, broker: Mosquitto) -> None:
        self.arrived: dict[tuple[str, str, str], float] = {}  # (device, event or "ack", id) -> perf_counter
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-hub", protocol=mqtt.MQTTv311)
        self.client.max_inflight_messages_set(1000)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda client, *_a: no_delay(client)  # as the hub's bus: sets go out at once
        ready = threading.Event()
        self.client.on_subscribe = lambda *_a: ready.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.client.subscribe([(f"{PREFIX}/{SITE}/speaker/+/event", 1), (f"{PREFIX}/{SITE}/speaker/+/ack", 1)])
        assert ready.wait(30), "the bench client could not subscribe"

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        at = time.perf_counter()
        device, channel = message.topic.split("/")[-2:]
        body = json.loads(message.payload)
        key = (device, "ack", body["command_id"]) if channel == "ack" else (
            device, body["event"], body.get("occurrence_id") or "")
        with self._lock:
            self.arrived.setdefault(key, at)

    def times(self, devices: list[str], what: str, ident: str) -> list[float] | None:
        """Arrival of `what` for `ident` from every device (an ack's ident is its command id's prefix)."""
        with self._lock:
            found = [self.arrived.get((d, what, f"{ident}-{d}" if what == "ack" else ident)) for d in devices]
        return None if None in found else [t for t in found if t is not None]

    def send(self, devices: list[str], body_of: Any) -> float:
        started = time.perf_counter()
        for device in devices:
            self.client.publish(topic(SITE, Kind.SPEAKER, device, Channel.SET), json.dumps(body_of(device)), qos=1)
        return started

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def spread(name: str, ms: list[float], baseline: list[float] | None = None) -> list[str]:
    """p50, p99 and the last of `ms`, each beside the same figure of `baseline`."""
    ms, base = sorted(ms), sorted(baseline or [])
    figures = (("p50", percentile(ms, 50), percentile(base, 50) if base else None),
               ("p99", percentile(ms, 99), percentile(base, 99) if base else None),
               ("last", ms[-1], base[-1] if base else None))
    return [figure(f"{name}, {label}", value, "ms", ref) for label, value, ref in figures]


def raw_round_trip(watcher: Watcher, devices: list[str], tag: str) -> list[float]:
    started = watcher.send(devices, lambda d: {"command_id": f"{tag}-{d}", "ts": now_ms(), "action": "volume",
                                               "volume": 70})
    wait_for(lambda: watcher.times(devices, "ack", tag) is not None, 60, "every volume ack", 0.005)
    return [(t - started) * 1000 for t in watcher.times(devices, "ack", tag) or []]


def finished(watcher: Watcher, devices: list[str], occurrence: str) -> bool:
    return watcher.times(devices, "finished", occurrence) is not None


def emergency(watcher: Watcher, devices: list[str], media_base: str, digest: str, n: int) -> tuple[float, str]:
    occurrence = f"bao-dong-{n}"
    entry = PlanEntry(occurrence_id=occurrence, bulletin_id="bao-dong", start_ms=now_ms(), sha256=digest,
                      media_url=f"{media_base}/{digest}", duration_ms=2_000, volume=100, priority="emergency")
    payload = entry.model_dump(exclude_none=True)
    started = watcher.send(devices, lambda d: {"command_id": f"khan-{n}-{d}", "ts": now_ms(), "action": "play",
                                               "entry": payload})
    wait_for(lambda: watcher.times(devices, "started", occurrence) is not None, 60, "every speaker started", 0.005)
    return started, occurrence


def speech_figures(rounds: int) -> list[str]:
    """Text-to-speech of a 30-second bulletin: medians over `rounds` after one warm-up call (imports, the voice
    check, the page cache), in ms of work per s of speech beside real time (1,000 ms/s)."""
    speak(TEXT)
    norm: list[float] = []
    synth: list[float] = []
    whole: list[float] = []
    seconds: list[float] = []
    for _ in range(rounds):
        began = time.perf_counter()
        speakable(TEXT)
        norm.append(time.perf_counter() - began)
        began = time.perf_counter()
        speech = speak(TEXT)
        whole.append(time.perf_counter() - began)
        assert speech.prepared is not None, f"speech unavailable: {speech.note_en}"
        synth.append(speech.synth_s)
        seconds.append(speech.prepared.duration_s)
    length = statistics.median(seconds)
    rest = [w - n - e for w, n, e in zip(whole, norm, synth, strict=True)]

    def rtf(name: str, took: list[float]) -> str:
        # The baseline is real time (1,000 ms of playing per s of speech): the RTF is the ratio to it.
        work = statistics.median(took)
        return figure(name, work / length * 1000, "ms/s", None,
                      f"RTF {work / length:.3g} = {work * 1000:,.0f} ms for {length:.1f} s of speech")

    return [
        f"## text-to-speech: {len(TEXT)} characters, {length:.1f} s of speech, {rounds} rounds (medians), "
        "beside real time (RTF = work / speech)",
        rtf("text normalisation (vinorm) alone", norm),
        rtf("espeak-ng vi alone", synth),
        rtf("decode + loudness + MP3 (the rest)", rest),
        rtf("whole: text -> stored MP3", whole),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speakers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--speech-rounds", type=int, default=3, help="text-to-speech rounds (0: skip)")
    args = parser.parse_args()
    site = small_site(lights=0, speakers=args.speakers, cameras=0, site_id=SITE)
    devices = [d.id for d in site.devices]
    media, media_base = serve_media(SIREN, NEWS)
    digest = hashlib.sha256(SIREN).hexdigest()
    normal = hashlib.sha256(NEWS).hexdigest()
    with tempfile.TemporaryDirectory(prefix="bench-broadcasts-") as tmp:
        broker = start_mosquitto(Path(tmp) / "mosquitto")
        watcher = Watcher(broker)
        fleet = Fleet(site, broker.host, broker.port, telemetry_interval_s=600, keepalive=60)
        try:
            # Every speaker's plan: a long normal bulletin playing now, for the emergency to interrupt, as
            # it would at 06:00.
            start = now_ms()
            plan = SpeakerConfig(version=1, media_base_url=media_base, entries=[PlanEntry(
                occurrence_id="tin-sang", bulletin_id="tin-sang", start_ms=start, until_ms=start + 3_600_000,
                sha256=normal, duration_ms=900_000, volume=70)])
            for device in devices:
                watcher.client.publish(topic(SITE, Kind.SPEAKER, device, Channel.CONFIG),
                                       plan.model_dump_json(exclude_none=True), qos=1, retain=True)
            assert fleet.start(wait_s=120), "the speakers did not come online"
            wait_for(lambda: watcher.times(devices, "started", "tin-sang") is not None, 60, "normal bulletins", 0.05)
            print(f"# {args.speakers} simulated speakers, mosquitto, media over local HTTP; ratio = emergency / raw")
            cached_raw: list[float] = []
            cached_alert: list[float] = []
            for n in range(args.rounds):
                raw = raw_round_trip(watcher, devices, f"vol{n}")
                started, occurrence = emergency(watcher, devices, media_base, digest, n)
                alert = [(t - started) * 1000 for t in watcher.times(devices, "started", occurrence) or []]
                kind = "new medium: fetched + checked" if n == 0 else "cached medium"
                print(f"## round {n + 1} ({kind})")
                for line in (*spread("raw paho set -> ack, every speaker", raw),
                             *spread("emergency set -> started, every speaker", alert, raw)):
                    print(line, flush=True)
                if n > 0:
                    cached_raw += raw
                    cached_alert += alert
                interrupted = watcher.times(devices, "interrupted", "tin-sang")
                assert n > 0 or interrupted is not None, "the normal bulletin was not interrupted everywhere"
                # let the 2 s alert end and the normal bulletin resume before the next round
                wait_for(functools.partial(finished, watcher, devices, occurrence), 30, "every alert finished", 0.05)
            if cached_alert:
                print(f"## rounds 2-{args.rounds} together ({len(cached_alert)} starts, cached medium)")
                for line in (*spread("raw paho set -> ack", cached_raw),
                             *spread("emergency set -> started", cached_alert, cached_raw)):
                    print(line, flush=True)
        finally:
            watcher.close()
            fleet.stop()
            broker.stop()
            media.shutdown()
    if args.speech_rounds > 0:  # with the speakers stopped: the synthesis has the machine to itself
        for line in speech_figures(args.speech_rounds):
            print(line, flush=True)


if __name__ == "__main__":
    main()
