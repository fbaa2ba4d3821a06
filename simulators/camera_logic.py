"""A security camera's health endpoint as pure data: its stream, its recording, its storage and its reboots.

The camera reports what its own firmware knows (the hub judges the picture separately, by probing it). Both
state fields derive from the faults: a lost stream stops recording too (nothing to record), and a full card
stops recording while the stream goes on. Storage falls slowly while recording, down to the floor where the
camera starts overwriting its oldest footage, as NVR loop recording does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final

from devices.camera import CameraConfig, CameraSet
from simulators.commands import NOTHING, Emit, Outcome

FPS: Final = 15.0
BITRATE_KBPS: Final = 2048.0  # H.264 1080p at 15 fps
STORAGE_USE_PCT_PER_H: Final = 0.5  # a 256 GB card fills in about a week
LOOP_FLOOR_PCT: Final = 5.0

CAMERA_FAULTS: Final = {
    "stream_lost": "stream_ok false, fps 0, recording stops; event stream_lost (stream_restored when cleared)",
    "storage_full": "storage_free_pct 0, recording false; event storage_full",
}


@dataclass
class CameraLogic:
    booted_ms: int  # device clock at the last boot: uptime counts from here
    storage_free_pct: float = 80.0
    fault: str | None = None
    config: CameraConfig | None = None
    announce_reboot: bool = False  # a reboot event is owed once the camera is back on the network
    _recorded_ms: int | None = field(default=None, repr=False)

    @property
    def stream_ok(self) -> bool:
        return self.fault != "stream_lost"

    @property
    def recording(self) -> bool:
        return self.stream_ok and self.fault != "storage_full"

    def state_fields(self) -> dict[str, object]:
        return {"recording": self.recording, "stream_ok": self.stream_ok}

    def apply(self, command: CameraSet, now_ms: int) -> Outcome:
        # reboot: the I/O layer acks first, then takes the camera off the network (see CameraSim.apply).
        if command.action == "snapshot" and not self.stream_ok:
            return Outcome(ok=False, error="stream_lost")
        return Outcome()

    def configure(self, config: CameraConfig, now_ms: int) -> Outcome:
        self.config = config
        return NOTHING

    def boot(self, now_ms: int) -> None:
        """Power came back: uptime starts again; the reboot is announced on reconnecting."""
        self._accrue(now_ms)
        self.booted_ms, self.announce_reboot = now_ms, True

    def on_connected(self, now_ms: int) -> Outcome:
        if not self.announce_reboot:
            return NOTHING
        self.announce_reboot = False
        return Outcome(events=(Emit("reboot", {"detail": "restarted"}),))

    def set_fault(self, fault: str | None, now_ms: int) -> Outcome:
        self._accrue(now_ms)
        old, self.fault = self.fault, fault
        if old == fault:
            return NOTHING
        events: list[Emit] = []
        if old == "stream_lost":
            events.append(Emit("stream_restored"))
        if fault == "stream_lost":
            events.append(Emit("stream_lost", {"detail": "no frames from the encoder"}))
        elif fault == "storage_full":
            events.append(Emit("storage_full", {"detail": "recording stopped: no free space"}))
        return Outcome(changed=True, events=tuple(events))

    def sample(self, now_ms: int, rng: random.Random) -> dict[str, object]:
        """Telemetry at `now_ms`, with the jitter of a real encoder."""
        self._accrue(now_ms)
        fps = max(0.0, rng.gauss(FPS, 0.3)) if self.stream_ok else 0.0
        bitrate = BITRATE_KBPS * fps / FPS * (1 + rng.gauss(0, 0.08)) if fps else 0.0
        return {
            "fps": round(min(fps, 240.0), 2),
            "bitrate_kbps": round(max(bitrate, 0.0), 1),
            "uptime_s": max(0, (now_ms - self.booted_ms) // 1000),
            "temperature_c": round(38.0 + (3.0 if self.recording else 0.0) + rng.gauss(0, 0.4), 1),
            "storage_free_pct": 0.0 if self.fault == "storage_full" else round(self.storage_free_pct, 3),
        }

    def _accrue(self, now_ms: int) -> None:
        # Storage is used by the time spent recording since the last look, so a fault in between counts right.
        if self._recorded_ms is not None and now_ms > self._recorded_ms and self.recording:
            used = STORAGE_USE_PCT_PER_H * (now_ms - self._recorded_ms) / 3_600_000
            self.storage_free_pct = max(LOOP_FLOOR_PCT, self.storage_free_pct - used)
        self._recorded_ms = now_ms if self._recorded_ms is None else max(self._recorded_ms, now_ms)
