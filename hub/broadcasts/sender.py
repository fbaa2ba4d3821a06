"""What the hub sends speakers: each one's retained plan (published only when it changed: the version is a
checksum of the entries) and the `set` commands for what must happen at once. Each set follows the shared
command lifecycle per speaker (hub/commands: queued -> sent -> delivered on PUBACK -> confirmed by the ack,
failed when refused, expired when the speaker stayed offline past the command's window); speakers offline
get it when they return (QoS 1; speakers de-duplicate on the command id and never play an occurrence twice)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from functools import partial

from devices.contract import Channel, Kind, topic
from devices.speaker import SpeakerSet
from hub.broadcasts.delivery import speaker_config
from hub.broadcasts.plan import Occurrence, programme
from hub.bus.base import Bus, Delivery
from hub.commands.lifecycle import SETTLED, Event, Status
from hub.commands.model import Progress, move
from hub.registry import Registry

log = logging.getLogger(__name__)


class Sender:
    def __init__(self, bus: Bus, registry: Registry, media_base_url: str) -> None:
        self._bus, self._registry, self.media_base_url = bus, registry, media_base_url
        self._site = registry.site.id
        self._lock = threading.Lock()
        self._pushed: dict[str, int] = {}  # speaker -> config version last published
        self._sets: dict[str, tuple[SpeakerSet, dict[str, Progress]]] = {}  # command id -> (set, per speaker)

    def push(self, plans: Mapping[str, list[Occurrence]], speakers: Iterable[str]
             ) -> tuple[int, list[tuple[str, str, int]]]:
        """Publish (retained) each changed plan; return how many went out and, per playable occurrence and
        speaker, when the priorities say it starts (what the dead-air check waits for)."""
        sent, expected = 0, []
        for speaker in speakers:
            mine = plans.get(speaker, [])
            expected += [(s.occurrence.id, speaker, s.start_ms) for s in programme(mine)
                         if s.outcome == "plays" and not s.resumed and s.occurrence.bulletin.media_sha256]
            config = speaker_config(mine, self.media_base_url)
            with self._lock:
                if self._pushed.get(speaker) == config.version:
                    continue
                self._pushed[speaker] = config.version
            self._bus.publish(topic(self._site, Kind.SPEAKER, speaker, Channel.CONFIG),
                              config.model_dump_json(exclude_none=True).encode(), qos=1, retain=True)
            sent += 1
        return sent, expected

    def send(self, command: SpeakerSet, speakers: Iterable[str], now_ms: int) -> None:
        with self._lock:
            self._sets[command.command_id] = (command, {s: Progress(s, s, updated_ms=now_ms) for s in speakers})
        self.resend(now_ms)

    def progress(self, command_id: str) -> dict[str, Status]:
        with self._lock:
            found = self._sets.get(command_id)
            return {s: p.status for s, p in found[1].items()} if found else {}

    def acked(self, speaker: str, command_id: str, ok: bool, error: str | None, now_ms: int) -> None:
        with self._lock:
            found = self._sets.get(command_id)
            progress = found[1].get(speaker) if found else None
            if progress is not None:
                move(progress, Event.CONFIRM if ok else Event.REFUSE, now_ms, error)
        if not ok:
            log.info("speaker %s refused %s: %s", speaker, command_id, error)

    def resend(self, now_ms: int) -> None:
        """Each queued set to its speakers online now; expired past its window; forgotten once settled."""
        out: list[tuple[SpeakerSet, Progress]] = []
        with self._lock:
            for command_id, (command, speakers) in list(self._sets.items()):
                late = command.expires_at is not None and now_ms > command.expires_at
                for speaker, p in speakers.items():
                    if p.status != Status.QUEUED:
                        continue
                    if late:
                        move(p, Event.EXPIRE, now_ms)
                    elif self._online(speaker, now_ms):
                        move(p, Event.SEND, now_ms)
                        out.append((command, p))
                if all(p.status in SETTLED for p in speakers.values()) or (
                        late and all(p.status != Status.QUEUED for p in speakers.values())):
                    del self._sets[command_id]
        for command, p in out:
            delivery = self._bus.publish(topic(self._site, Kind.SPEAKER, p.device, Channel.SET),
                                         command.model_dump_json(exclude_none=True).encode(), qos=1)
            delivery.add_done_callback(partial(self._puback, p))

    def _puback(self, p: Progress, _delivery: Delivery) -> None:
        with self._lock:
            move(p, Event.PUBACK, p.updated_ms)

    def _online(self, speaker: str, now_ms: int) -> bool:
        live = self._registry.get(speaker)
        return live is not None and live.is_online(now_ms, self._registry.stale_after_ms)
