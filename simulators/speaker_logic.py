"""A loudspeaker's behaviour as pure data: its plan (speaker_plan), its media (speaker_media), commands,
hardware faults and telemetry. The I/O layer (simulators/speaker.py) fetches the media and moves the messages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final, Literal

from devices.speaker import MAX_PLAN_ENTRIES, SpeakerConfig, SpeakerSet
from simulators.commands import NOTHING, Emit, Outcome
from simulators.speaker_media import MediaStore
from simulators.speaker_plan import Player

# Faults that live in the speaker's hardware; the others (downloads, network, clock) live in its I/O layer.
HARDWARE: Final = {
    "amp_fault": "amplifier over temperature (~92 °C), its protection cut the output",
    "audio_path_broken": "audio-path self-test hears nothing: the horn or its line is broken",
}
SPEAKER_FAULTS: Final = {
    **{name: f"{what}; every play fails with {name}, status error" for name, what in HARDWARE.items()},
    "download_error": "media downloads fail (HTTP 503); retried with backoff, a bulletin due without its "
                      "medium fails with media_unavailable",
    "wrong_hash": "downloads arrive corrupted: refused on the sha256 check and reported failed",
    "offline_mid_bulletin": "the network drops half-way through each bulletin and returns when it ends: the "
                            "speaker plays on and sends its events afterwards",
    "clock_drift": "the speaker's clock runs 2 min fast (no NTP): it plays early and stamps early",
    "no_signal": "4G signal at -115 dBm (telemetry only)",
}

Status = Literal["idle", "playing", "error"]


@dataclass
class SpeakerLogic:
    volume: int = 70
    idle_volume: int = 70
    fault: str | None = None
    config: SpeakerConfig | None = None
    media: MediaStore = field(default_factory=MediaStore)
    player: Player = field(init=False)
    _volume_set_for: str | None = field(default=None, repr=False)  # the play a `volume` set turned up or down

    def __post_init__(self) -> None:
        self.player = Player(self.media)

    @property
    def status(self) -> Status:
        if self.fault in HARDWARE:
            return "error"
        return "playing" if self.player.current is not None else "idle"

    def state_fields(self) -> dict[str, object]:
        cur = self.player.current
        # At most the config's 48, plus one still playing from an older plan: the contract counts 48.
        planned = [o for o in self.player.live() if o.command_id is None][:MAX_PLAN_ENTRIES]
        return {
            "status": self.status, "volume": self.volume,
            "bulletin_id": cur.entry.bulletin_id if cur else None, "occurrence_id": cur.id if cur else None,
            "priority": cur.entry.priority if cur else None,
            "config_version": self.config.version if self.config is not None else None,
            "plan_entries": len(planned), "media_ready": sum(self.media.has(o.entry.sha256) for o in planned),
        }

    def apply(self, command: SpeakerSet, now_ms: int) -> Outcome:
        handler = {"play": self._play, "stop": self._stop, "volume": self._volume}[command.action]
        return handler(command, now_ms)

    def configure(self, config: SpeakerConfig, now_ms: int) -> Outcome:
        self.config, self.idle_volume = config, config.default_volume
        return self._after(self.player.plan(config.entries, config.media_url, now_ms), changed=True)

    def tick(self, now_ms: int) -> Outcome:
        return self._after(self.player.step(now_ms))

    def next_deadline(self, now_ms: int) -> int | None:
        times = [self.player.next_deadline(now_ms), self.media.next_retry(self.player.needs())]
        return min((t for t in times if t is not None), default=None)

    def wanted(self, now_ms: int) -> list[tuple[str, str]]:
        """(sha256, url) of the media to start fetching now."""
        return self.media.wanted(self.player.needs(), now_ms)

    def fetched(self, sha256: str, body: bytes | None, error: str | None, now_ms: int) -> Outcome:
        result = self.media.fetched(sha256, body, error, now_ms)
        users = sorted({o.entry.bulletin_id for o in self.player.live() if o.entry.sha256 == sha256})
        name = "downloaded" if result.ok else "failed"
        extra = {} if result.ok else {"detail": result.detail}
        events = [Emit(name, {"bulletin_id": b, "sha256": sha256, "at_ms": now_ms, **extra}) for b in users[:8]]
        self.media.forget_unless(set(self.player.needs()) | {o.entry.sha256 for o in self.player.live()})
        return self._after([*events, *self.player.step(now_ms)], changed=result.ok)

    def set_fault(self, fault: str | None, now_ms: int) -> Outcome:
        old, self.fault = self.fault, fault
        if old == fault:
            return NOTHING
        self.player.blocked = fault if fault in HARDWARE else None
        events: list[Emit] = []
        if old in HARDWARE:
            events.append(Emit("restored", {"detail": old, "at_ms": now_ms}))
        if fault in HARDWARE:
            events.append(Emit("fault", {"detail": f"{fault}: {HARDWARE[fault]}", "at_ms": now_ms}))
            events += self.player.fail_current(fault, now_ms)
        return self._after([*events, *self.player.step(now_ms)], changed=True)

    def power_lost(self, now_ms: int) -> Outcome:
        return self._after(self.player.power_lost(now_ms), changed=True)

    def power_restored(self, now_ms: int) -> Outcome:
        return self._after(self.player.power_restored(now_ms), changed=True)

    def sample(self, now_ms: int, uptime_s: int, rng: random.Random) -> dict[str, object]:
        playing = self.player.current is not None
        amp_c = 92.0 if self.fault == "amp_fault" else 31.0 + (0.12 * self.volume if playing else 0.0)
        watts = 3.0 if self.fault == "amp_fault" else 4.0 + (0.5 * self.volume if playing else 0.0)
        signal = -115.0 if self.fault == "no_signal" else min(-40.0, -67.0 + rng.gauss(0, 2.0))
        return {
            "volume": self.volume,
            "amp_temp_c": round(amp_c + rng.gauss(0, 0.4), 1),
            "signal_dbm": round(signal, 1),
            "uptime_s": uptime_s,
            "playing": playing,
            "audio_ok": self.fault != "audio_path_broken",
            "power_w": round(watts * (1 + rng.gauss(0, 0.01)), 2),
        }

    def _play(self, command: SpeakerSet, now_ms: int) -> Outcome:
        entry = command.entry
        assert entry is not None and entry.media_url is not None  # the model refuses a play without them
        ids = {"bulletin_id": entry.bulletin_id, "occurrence_id": entry.occurrence_id}
        if self.fault in HARDWARE:
            failed = Emit("failed", {**ids, "command_id": command.command_id, "at_ms": now_ms, "detail": self.fault})
            self.player.done[entry.occurrence_id] = "failed"
            return Outcome(ok=False, error=self.fault, ack=ids, events=(failed,))
        refusal, events = self.player.play(entry, entry.media_url, command.command_id, now_ms)
        outcome = self._after(events)
        return Outcome(ok=refusal is None, error=refusal, ack=ids, changed=outcome.changed, events=outcome.events)

    def _stop(self, command: SpeakerSet, now_ms: int) -> Outcome:
        cur = self.player.current
        target = command.occurrence_id or (cur.id if cur else None)
        return self._after(self.player.stop(command.occurrence_id, now_ms), ack={"occurrence_id": target})

    def _volume(self, command: SpeakerSet, now_ms: int) -> Outcome:
        assert command.volume is not None  # the model refuses a volume action without it
        self.volume = self.idle_volume = command.volume
        cur = self.player.current
        self._volume_set_for = cur.id if cur is not None else None
        return Outcome(changed=True)

    def _after(self, events: list[Emit], changed: bool = False, ack: dict[str, object] | None = None) -> Outcome:
        """Events of the plan, with the volume and state they imply: a play sets its own volume."""
        cur = self.player.current
        if cur is None:
            volume = self.idle_volume
        else:
            volume = self.volume if cur.id == self._volume_set_for else cur.entry.volume
        moved = bool(events) or volume != self.volume
        self.volume = volume
        return Outcome(ack=ack or {}, changed=changed or moved, events=tuple(events))
