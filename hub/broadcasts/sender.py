"""What the hub sends speakers: each one's retained plan (published only when it changed: the version is a
checksum of the entries) and the `set` commands for what must happen at once, each kept until every target
speaker has been online to receive it or the command's window has passed (QoS 1; speakers de-duplicate on the
command id, and never play an occurrence twice)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from devices.contract import Channel, Kind, topic
from devices.speaker import SpeakerSet
from hub.broadcasts.delivery import speaker_config
from hub.broadcasts.plan import Occurrence, programme
from hub.bus.base import Bus
from hub.registry import Registry


class Sender:
    def __init__(self, bus: Bus, registry: Registry, media_base_url: str) -> None:
        self._bus, self._registry, self.media_base_url = bus, registry, media_base_url
        self._site = registry.site.id
        self._lock = threading.Lock()
        self._pushed: dict[str, int] = {}  # speaker -> config version last published
        self._sets: dict[str, tuple[SpeakerSet, set[str]]] = {}  # command id -> (set, speakers still to reach)

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
            self._sets[command.command_id] = (command, set(speakers))
        self.resend(now_ms)

    def resend(self, now_ms: int) -> None:
        """Each pending set to the target speakers online now; the rest wait for them."""
        out: list[tuple[SpeakerSet, str]] = []
        with self._lock:
            for command_id, (command, waiting) in list(self._sets.items()):
                if (command.expires_at is not None and now_ms > command.expires_at) or not waiting:
                    del self._sets[command_id]
                    continue
                for speaker in sorted(waiting):
                    live = self._registry.get(speaker)
                    if live is not None and live.is_online(now_ms, self._registry.stale_after_ms):
                        out.append((command, speaker))
                        waiting.discard(speaker)
        for command, speaker in out:
            self._bus.publish(topic(self._site, Kind.SPEAKER, speaker, Channel.SET),
                              command.model_dump_json(exclude_none=True).encode(), qos=1)
