"""A loudspeaker's behaviour as pure data: play, stop, volume, priorities and pre-emption.

A bulletin of equal or higher priority replaces the one playing (the one cut off gets a `preempted` event);
a lower one is refused with `busy`, so a normal bulletin can never cut an emergency short.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final, Literal

from devices.messages import Priority
from devices.speaker import SpeakerConfig, SpeakerSet
from simulators.commands import NOTHING, Emit, Outcome

RANK: Final[dict[Priority, int]] = {"normal": 0, "priority": 1, "emergency": 2}

SPEAKER_FAULTS: Final = {
    "amp_fault": "amplifier dead: play is refused with error amp_fault, status error",
}

Status = Literal["idle", "playing", "error"]


@dataclass
class SpeakerLogic:
    volume: int = 70
    play_ms: int = 5_000  # how long a simulated bulletin lasts
    fault: str | None = None
    bulletin_id: str | None = None
    priority: Priority | None = None
    ends_at_ms: int | None = None
    started_ms: int | None = None

    @property
    def status(self) -> Status:
        if self.fault == "amp_fault":
            return "error"
        return "playing" if self.bulletin_id is not None else "idle"

    def state_fields(self) -> dict[str, object]:
        return {"status": self.status, "volume": self.volume, "bulletin_id": self.bulletin_id,
                "priority": self.priority}

    def apply(self, command: SpeakerSet, now_ms: int) -> Outcome:
        handler = {"play": self._play, "stop": self._stop, "volume": self._volume}[command.action]
        return handler(command, now_ms)

    def configure(self, config: SpeakerConfig, now_ms: int) -> Outcome:
        if self.bulletin_id is not None:  # never change the volume in the middle of a bulletin
            return NOTHING
        self.volume = config.default_volume
        return Outcome(changed=True)

    def tick(self, now_ms: int) -> Outcome:
        if self.ends_at_ms is None or now_ms < self.ends_at_ms:
            return NOTHING
        finished = Emit("playback_finished", {"bulletin_id": self.bulletin_id})
        self._idle()
        return Outcome(changed=True, events=(finished,))

    def next_deadline(self, now_ms: int) -> int | None:
        return self.ends_at_ms

    def set_fault(self, fault: str | None, now_ms: int) -> Outcome:
        old, self.fault = self.fault, fault
        if fault == "amp_fault":
            events = [Emit("fault", {"detail": "amplifier fault"})]
            if self.bulletin_id is not None:
                cut = {"bulletin_id": self.bulletin_id, "detail": "amp_fault"}
                events.insert(0, Emit("playback_failed", cut))
                self._idle()
            return Outcome(changed=True, events=tuple(events))
        return Outcome(changed=True) if old == "amp_fault" else NOTHING

    def sample(self, now_ms: int, uptime_s: int, rng: random.Random) -> dict[str, object]:
        playing = self.bulletin_id is not None
        return {
            "volume": self.volume,
            "amp_temp_c": round(31.0 + (0.12 * self.volume if playing else 0.0) + rng.gauss(0, 0.4), 1),
            "signal_dbm": round(min(-40.0, -67.0 + rng.gauss(0, 2.0)), 1),
            "uptime_s": uptime_s,
            "playing": playing,
        }

    def _play(self, command: SpeakerSet, now_ms: int) -> Outcome:
        ack = {"bulletin_id": command.bulletin_id}
        if command.bulletin_id is None:
            return Outcome(ok=False, error="invalid: play needs bulletin_id", ack=ack)
        if self.fault == "amp_fault":
            failed = Emit("playback_failed", {"bulletin_id": command.bulletin_id, "detail": "amp_fault"})
            return Outcome(ok=False, error="amp_fault", ack=ack, events=(failed,))
        if self.priority is not None and RANK[command.priority] < RANK[self.priority]:
            busy = f"busy: playing {self.priority} bulletin {self.bulletin_id}"
            return Outcome(ok=False, error=busy, ack=ack)
        events: list[Emit] = []
        if self.bulletin_id is not None:
            events.append(Emit("preempted", {"bulletin_id": self.bulletin_id,
                                             "detail": f"by {command.priority} {command.bulletin_id}"}))
        if command.volume is not None:
            self.volume = command.volume
        self.bulletin_id, self.priority = command.bulletin_id, command.priority
        self.started_ms, self.ends_at_ms = now_ms, now_ms + self.play_ms
        events.append(Emit("playback_started", {"bulletin_id": command.bulletin_id}))
        return Outcome(ack=ack, changed=True, events=tuple(events))

    def _stop(self, command: SpeakerSet, now_ms: int) -> Outcome:
        playing = self.bulletin_id
        if playing is None or command.bulletin_id not in (None, playing):
            return Outcome(ack={"bulletin_id": command.bulletin_id})  # nothing to stop: already the goal
        self._idle()
        stopped = Emit("playback_finished", {"bulletin_id": playing, "detail": "stopped"})
        return Outcome(ack={"bulletin_id": playing}, changed=True, events=(stopped,))

    def _volume(self, command: SpeakerSet, now_ms: int) -> Outcome:
        if command.volume is None:
            return Outcome(ok=False, error="invalid: volume action needs volume")
        self.volume = command.volume
        return Outcome(changed=True)

    def _idle(self) -> None:
        self.bulletin_id = self.priority = None
        self.ends_at_ms = self.started_ms = None
