"""Camera health benchmark. Figures, each beside a baseline measured in the same run:

  (a) frames analysed per second on one core for 1280x720 JPEGs (reduced grayscale decode + every picture
      check), beside only decoding the same JPEGs in full colour, as a prober that checks nothing would;
  (b) one probe cycle of 100 simulated HTTP cameras with one hanging, beside the same cycle with none;
  (c) tamper: for each fault kind the detection delay in probes (against its debounce), at day, dusk and
      night for the picture faults; and false alarms per camera-day over simulated days with dusk and dawn.

    .venv/bin/python bench/cameras.py [--frames 200] [--cameras 100] [--days 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import figure
from hub.cameras.checks import RULES, Check
from hub.cameras.fetch import Limits
from hub.cameras.frames import decode
from hub.cameras.watch import Period, Watch
from simulators.camera_scene import CLOCK_REGION, Scene, daylight, encode
from tests.cameras.rig import rig

MIDNIGHT = int(datetime(2026, 11, 19, 17, 0, tzinfo=UTC).timestamp() * 1000)  # 00:00 in Phú Thọ
PROBE_MS = 30_000
PICTURE = {"freeze": Check.FROZEN, "black": Check.BLACK, "covered": Check.COVERED, "blur": Check.BLURRED,
           "turned_away": Check.MOVED, "noisy": Check.NOISY, "glare": Check.GLARE}
SERVICE = {"offline": ("unreachable", 2), "hang": ("timeout", 2), "slow": ("slow", 2),
           "stop_recording": ("not_recording", 1), "storage_full": ("storage_full", 1),
           "corrupt": ("bad_image", 2), "enormous": ("bad_image", 2)}


def period(t: int) -> Period:
    """As the service decides it from the sun: twilight while the light is changing."""
    light = daylight(t)
    return "day" if light >= 0.95 else "night" if light <= 0.05 else "twilight"


def bench_frames(count: int) -> None:
    cv2.setNumThreads(1)  # per core
    scene, rng = Scene(1280, 720, seed=5), np.random.default_rng(5)
    jpegs = [encode(scene.render(MIDNIGHT + 12 * 3600_000 + i * PROBE_MS, rng)) for i in range(count)]
    start = time.perf_counter()
    for data in jpegs:
        cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    decode_only = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for data in jpegs:
        decode(data)
    reduced = count / (time.perf_counter() - start)
    watch = Watch(clock=CLOCK_REGION)
    start = time.perf_counter()
    for i, data in enumerate(jpegs):
        watch.observe(decode(data).gray, "day", same_bytes=i == 0)
    analysed = count / (time.perf_counter() - start)
    print("(a) 1280x720 JPEG, one core")
    print(figure("  full-colour decode only (baseline)", decode_only, "frames/s"))
    print(figure("  reduced grayscale decode only", reduced, "frames/s", decode_only))
    print(figure("  decoded and every check run", analysed, "frames/s", decode_only,
                 f"({1000 / analysed:.1f} ms a frame; aim ratio >= 0.6)"))


def bench_cycle(cameras: int) -> None:
    limits = Limits()  # production's: 3 s connect, 5 s read, 10 s total
    with tempfile.TemporaryDirectory() as tmp, rig(Path(tmp), cameras, width=1280, height=720, limits=limits,
                                                   workers=8) as r:
        r.round(timeout_s=120)  # warm: connections, first frames

        def cycle() -> tuple[float, float]:
            start = time.monotonic()
            r.service.probe_now()
            healthy = [d for d, c in r.cameras.items() if c.fault != "hang"]
            before = {d: r.service.now[d].checked_ms for d in r.cameras}
            others = 0.0
            while any(r.service.now[d].checked_ms == before[d] for d in r.cameras):
                r.service.drain()
                if not others and all(r.service.now[d].checked_ms != before[d] for d in healthy):
                    others = time.monotonic() - start
                time.sleep(0.005)
            r.clock.advance(PROBE_MS)
            return others or time.monotonic() - start, time.monotonic() - start

        _, base_all = cycle()
        r.cameras["cam-50"].set_fault("hang")
        hang_others, hang_all = cycle()
        r.cameras["cam-50"].set_fault(None)
    print(f"(b) one probe cycle, {cameras} simulated HTTP cameras (1280x720), 8 probe threads")
    print(figure("  no camera hanging (baseline)", base_all, "s"))
    print(figure("  one hanging: the other cameras done", hang_others, "s", base_all))
    print(figure("  one hanging: whole cycle (its timeout)", hang_all, "s", base_all, "(aim: under 30 s)"))


def picture_delays() -> list[tuple[str, str, int | None, int]]:
    scene, rng = Scene(1280, 720, seed=9), np.random.default_rng(9)
    rows = []
    for label, hour in (("day", 12.0), ("dusk", 17.7), ("night", 22.0)):
        at = MIDNIGHT + int(hour * 3600_000)
        for fault, check in PICTURE.items():
            watch = Watch(clock=CLOCK_REGION)
            for k in range(12, 0, -1):  # an hour of learning before the fault
                t = at - k * 5 * PROBE_MS
                watch.observe(decode(encode(scene.render(t, rng))).gray, period(t))
            last = encode(scene.render(at - PROBE_MS, rng))
            delay = None
            for probe in range(1, 7):
                t = at + (probe - 1) * PROBE_MS
                data = last if fault == "freeze" else encode(scene.render(t, rng, fault))
                verdict = watch.observe(decode(data).gray, period(t), same_bytes=fault == "freeze")
                if check in verdict.active and delay is None:
                    delay = probe
            rows.append((label, fault, delay, RULES[check].debounce))
    return rows


def service_delays() -> list[tuple[str, str, int | None, int]]:
    rows = []
    for fault, (reason, debounce) in SERVICE.items():
        with tempfile.TemporaryDirectory() as tmp, rig(Path(tmp), 1) as r:
            for _ in range(6):
                r.round()
            r.cameras["cam-1"].set_fault(fault)
            delay = None
            for probe in range(1, 5):
                r.round()
                if reason in r.reasons("cam-1") and delay is None:
                    delay = probe
            rows.append(("any", fault, delay, debounce))
    return rows


def false_alarms(days: int) -> tuple[int, int, int]:
    alarms = odd = probes = 0
    for seed in range(days):
        scene, rng = Scene(1280, 720, seed=100 + seed), np.random.default_rng(100 + seed)
        watch = Watch(clock=CLOCK_REGION)
        active: frozenset[Check] = frozenset()
        for probe in range(24 * 3600_000 // PROBE_MS):
            t = MIDNIGHT + probe * PROBE_MS
            verdict = watch.observe(decode(encode(scene.render(t, rng))).gray, period(t))
            alarms += len(verdict.active - active)
            odd += bool(verdict.failing)
            active = verdict.active
            probes += 1
    return alarms, odd, probes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--cameras", type=int, default=100)
    parser.add_argument("--days", type=int, default=2, help="camera-days for the false-alarm count")
    parser.add_argument("--only", choices=["a", "b", "c"])
    args = parser.parse_args()
    if args.only in (None, "a"):
        bench_frames(args.frames)
    if args.only in (None, "b"):
        bench_cycle(args.cameras)
    if args.only in (None, "c"):
        print("(c) tamper: detection delay in probes (30 s apart) beside each fault's debounce")
        for label, fault, delay, debounce in picture_delays() + service_delays():
            verdict = "ok" if delay is not None and delay <= debounce else "LATE" if delay else "MISSED"
            if delay is None and label == "dusk" and fault in ("blur", "noisy"):
                verdict = "not judged at twilight (by design: the light changes faster than a baseline)"
            print(f"  {fault:<15} {label:<6} delay {delay if delay else '-':>2}  debounce {debounce}  {verdict}")
        alarms, odd, probes = false_alarms(args.days)
        print(figure(f"  false alarms per camera-day ({args.days} days)", alarms / args.days, "alarms",
                     extra=f"({probes} probes through dawn and dusk; {odd} single odd frames absorbed)"))


if __name__ == "__main__":
    main()
