"""Speaker faults from telemetry and availability, like the lights' faults: each opens from what the speaker
reports, is seen by the head or a technician, and closes by itself when the cause clears.

Detectors are pure (a reading in, True / False / None out); thresholds have a gap between opening and
closing so an amplifier hovering at the limit does not flap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from devices.speaker import SpeakerTelemetry
from hub.broadcasts.store import FaultTable, SpeakerFault
from hub.registry import Registry

log = logging.getLogger(__name__)
HOT_C: Final = 85.0
COOL_C: Final = 80.0
NO_SIGNAL_DBM: Final = -110.0
SIGNAL_BACK_DBM: Final = -105.0
TITLES: Final = {
    "amp_over_temp": ("Bộ khuếch đại quá nóng", "Amplifier over temperature"),
    "audio_path": ("Đường âm thanh bị hỏng", "Audio path broken"),
    "no_signal": ("Mất sóng", "No signal"),
    "offline": ("Mất kết nối", "Offline"),
}


def amp_over_temp(t: SpeakerTelemetry, is_open: bool) -> bool | None:
    return t.amp_temp_c >= (COOL_C if is_open else HOT_C)


def audio_path(t: SpeakerTelemetry, is_open: bool) -> bool | None:
    return None if t.audio_ok is None else not t.audio_ok


def no_signal(t: SpeakerTelemetry, is_open: bool) -> bool | None:
    return t.signal_dbm <= (SIGNAL_BACK_DBM if is_open else NO_SIGNAL_DBM)


DETECTORS: Final[dict[str, Callable[[SpeakerTelemetry, bool], bool | None]]] = {
    "amp_over_temp": amp_over_temp, "audio_path": audio_path, "no_signal": no_signal,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str
    speaker: str
    present: bool
    detail: dict[str, Any]


def evaluate(speaker: str, t: SpeakerTelemetry, open_kinds: set[str]) -> list[Verdict]:
    detail = {"amp_temp_c": t.amp_temp_c, "signal_dbm": t.signal_dbm, "audio_ok": t.audio_ok}
    out = []
    for kind, detect in DETECTORS.items():
        verdict = detect(t, kind in open_kinds)
        if verdict is not None:
            out.append(Verdict(kind, speaker, verdict, detail))
    return out


class SpeakerFaults:
    """The open faults in memory (one lookup per sample), the table for the record."""

    def __init__(self, table: FaultTable) -> None:
        self._table = table
        self._lock = threading.Lock()
        self._open = {(f.kind, f.subject): f for f in table.open_faults()}
        self.listeners: list[Callable[[SpeakerFault], None]] = []
        self._offline_since: dict[str, int] = {}

    def offline(self, registry: Registry, speakers: Iterable[str], now_ms: int, hold_ms: int) -> None:
        """Open "offline" for a speaker gone (last will, or silent past the registry's bound) `hold_ms` ago;
        close it when the speaker is back. A speaker never heard of since the start is not judged."""
        for speaker in speakers:
            live = registry.get(speaker)
            if live is not None and live.is_online(now_ms, registry.stale_after_ms):
                self._offline_since.pop(speaker, None)
                self.set("offline", speaker, False, now_ms)
            elif live is not None and live.last_seen_ms is not None:
                since = self._offline_since.setdefault(speaker, now_ms)
                if now_ms - since >= hold_ms:
                    self.set("offline", speaker, True, now_ms)

    def open_subjects(self) -> set[str]:
        """The speakers with an open fault, from memory (the home screen asks on every load)."""
        with self._lock:
            return {subject for _, subject in self._open}

    def open_kinds(self, speaker: str) -> set[str]:
        with self._lock:
            return {kind for kind, subject in self._open if subject == speaker}

    def apply(self, verdicts: list[Verdict], now_ms: int) -> None:
        for v in verdicts:
            self.set(v.kind, v.speaker, v.present, now_ms, v.detail)

    def set(self, kind: str, speaker: str, present: bool, now_ms: int, detail: dict[str, Any] | None = None) -> None:
        changed: SpeakerFault | None = None
        with self._lock:
            current = self._open.get((kind, speaker))
            if present and current is None:
                changed = self._table.open(kind, speaker, now_ms, detail or {})
                if changed is not None:
                    self._open[(kind, speaker)] = changed
            elif not present and current is not None:
                self._table.close(current.id, now_ms)
                del self._open[(kind, speaker)]
                changed = self._table.get(current.id)
        if changed is not None:
            for listener in self.listeners:
                try:
                    listener(changed)
                except Exception:  # a listener's bug must not stop fault tracking
                    log.exception("speaker fault listener failed")

    def see(self, fault_id: int, now_ms: int, by: int | None) -> SpeakerFault | None:
        return self._table.see(fault_id, now_ms, by)

    def page(self, *, open_only: bool, limit: int) -> list[SpeakerFault]:
        return self._table.page(open_only=open_only, limit=limit)
