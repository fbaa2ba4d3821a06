"""The fault service: runs the detectors over each light's telemetry (its run of each routed batch),
takes the lights' own fault events, and on every tick decides which lights are offline and whether the
lights of one power cabinet went together (one power-loss incident, not twenty alarms). Each fault opens,
is seen by the head or a technician, and closes by itself when what caused it clears.

A detector must agree twice in a row to open or close a fault: one sample can catch a lamp mid-switch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Final

from devices.contract import Kind
from devices.light import LightEvent, LightTelemetry
from hub.domain import Accepted
from hub.lights.batch import Runs, sort_batch
from hub.lights.faults.detect import DETECTORS, Context, FaultKind, Reading, group_offline
from hub.lights.faults.store import Fault, FaultTable
from hub.registry import Registry
from hub.timeutil import now_ms

log = logging.getLogger(__name__)
CONFIRM = 2
Listener = Callable[[Fault], None]
_KINDS: Final = tuple(DETECTORS)
_DETECT: Final = tuple(DETECTORS.values())
_FROM_EVENT = {"lamp_failure": FaultKind.LAMP_FAILURE, "relay_fault": FaultKind.RELAY_FAULT}


class FaultService:
    def __init__(self, registry: Registry, table: FaultTable, context: Callable[[str, int], Context], *,
                 clock: Callable[[], int] = now_ms, hold_ms: int = 60_000) -> None:
        self._registry, self._table, self._context, self._clock, self._hold = registry, table, context, clock, hold_ms
        site = registry.site
        self._lights = [d.id for d in site.devices if d.kind == Kind.LIGHT]
        self._cabinet = {d.id: d.cabinet for d in site.devices if d.kind == Kind.LIGHT}
        self._size = {c.id: len(site.fed_by(c.id)) for c in site.cabinets}
        self._lock = threading.RLock()
        self._open: dict[tuple[FaultKind, str], Fault] = {(f.kind, f.subject): f for f in table.open_faults()}
        # light -> per detector (in DETECTORS' order): its last verdict and how many samples in a row gave it
        self._streak: dict[str, list[tuple[bool, int] | None]] = {}
        self.evaluations = 0  # detector runs (each light's run of a batch reuses a verdict while nothing changed)
        self._offline_since: dict[str, int] = {}  # offline, not yet part of a fault
        self.listeners: list[Listener] = []

    def observe(self, batch: list[Accepted]) -> None:
        """A batch as it comes (tests feed ingest's batches straight in)."""
        self.take(sort_batch(batch).runs)

    def take(self, runs: Runs) -> None:
        """Each light's run of the batch (its telemetry and events in order), one light after the other."""
        now = self._clock()
        with self._lock:
            for device, items in runs.items():
                self._run(device, items, now)

    def tick(self, now: int | None = None) -> None:
        now = self._clock() if now is None else now
        with self._lock:
            for device in self._lights:
                if self._is_online(device, now):
                    self._back_online(device, now)
                elif not self._in_fault(device):
                    self._offline_since.setdefault(device, self._offline_at(device, now))
            self._decide_offline(now)

    def see(self, fault_id: int, by: int) -> Fault | None:
        with self._lock:
            fault = self._table.see(fault_id, self._clock(), by)
            if fault is not None and fault.closed_ms is None:
                self._open[(fault.kind, fault.subject)] = fault
        return fault

    def page(self, *, open_only: bool, limit: int) -> list[Fault]:
        return self._table.page(open_only=open_only, limit=limit)

    # --- per-light detectors -------------------------------------------------------------------
    def _run(self, device: str, items: list[Accepted], now: int) -> None:
        """One light's samples and events, in order. Its reported state and mode are read once (the
        registry's latest, as each sample read it before), the detectors run again only when what they
        read changes (the reading or its context: a steady lamp's repeated samples share one verdict),
        and a fault opens or closes exactly where it would have one sample at a time. Kinds are kept by
        their place in DETECTORS: hashing an enum member runs Python code, three times a sample."""
        live = self._registry.get(device)
        state = live.state if live is not None else {}
        on_off, mode = _text(state.get("state")), _text(state.get("mode"))
        streak = self._streak.get(device)
        if streak is None:
            streak = self._streak[device] = [None] * len(_KINDS)
        # Most lights have no open fault, and with none open at all there is nothing to look up.
        is_open = [(kind, device) in self._open for kind in _KINDS] if self._open else [False] * len(_KINDS)
        inputs: tuple[int, float, Context] | None = None
        verdicts: list[bool | None] = []
        for item in items:
            sample = item.message
            if isinstance(sample, LightEvent):
                self._on_event(device, sample, now)
                is_open = [(kind, device) in self._open for kind in _KINDS]
                continue
            if not isinstance(sample, LightTelemetry):
                continue
            context = self._context(device, item.point.ts_ms)
            if inputs is None or inputs != (sample.level, sample.power_w, context):
                inputs = (sample.level, sample.power_w, context)
                reading = Reading(sample.level, sample.power_w, on_off, mode)
                verdicts = [detect(reading, context) for detect in _DETECT]
                self.evaluations += 1
            for i, verdict in enumerate(verdicts):
                if verdict is None:
                    continue  # this reading cannot tell: the streak waits
                kept = streak[i]
                if kept is not None and kept[0] == verdict:
                    if kept[1] >= CONFIRM and verdict == is_open[i]:
                        continue  # a confirmed verdict repeated: past CONFIRM its count changes nothing
                    count = kept[1] + 1
                else:
                    count = 1
                streak[i] = (verdict, count)
                if count < CONFIRM or verdict == is_open[i]:
                    continue  # not confirmed yet, or confirms what is already so
                kind = _KINDS[i]
                if verdict:
                    self._open_fault(kind, device, now, {"power_w": sample.power_w, "level": sample.level})
                else:
                    self._close(kind, device, now)
                is_open[i] = (kind, device) in self._open

    def _on_event(self, device: str, event: LightEvent, now: int) -> None:
        with self._lock:
            if event.event in _FROM_EVENT:  # the light knows first: no need to wait for two samples
                self._open_fault(_FROM_EVENT[event.event], device, now, {"event": event.detail or event.event})
            elif event.event == "restored":
                for kind in _FROM_EVENT.values():
                    self._close(kind, device, now)

    # --- offline lights and power cabinets -----------------------------------------------------
    def _decide_offline(self, now: int) -> None:
        for device in list(self._offline_since):
            cabinet = self._cabinet.get(device)
            incident = self._open.get((FaultKind.POWER_LOSS, cabinet)) if cabinet else None
            if incident is not None:  # a latecomer of a cabinet already down: it joins the incident
                self._offline_since.pop(device)
                self._join(incident, device)
        verdict = group_offline(self._offline_since, self._cabinet, self._size, now, self._hold)
        for cabinet, devices in verdict.incidents.items():
            self._open_fault(FaultKind.POWER_LOSS, cabinet, now, {"lights": devices})
            for device in devices:
                self._offline_since.pop(device, None)
        for device in verdict.singles:
            self._open_fault(FaultKind.OFFLINE, device, now, {})
            self._offline_since.pop(device, None)

    def _back_online(self, device: str, now: int) -> None:
        self._offline_since.pop(device, None)
        self._close(FaultKind.OFFLINE, device, now)
        cabinet = self._cabinet.get(device)
        incident = self._open.get((FaultKind.POWER_LOSS, cabinet)) if cabinet else None
        if incident is not None and cabinet is not None:
            members = incident.detail.get("lights", [])
            if all(self._is_online(d, now) for d in members):
                self._close(FaultKind.POWER_LOSS, cabinet, now)

    def _in_fault(self, device: str) -> bool:
        if (FaultKind.OFFLINE, device) in self._open:
            return True
        cabinet = self._cabinet.get(device)
        incident = self._open.get((FaultKind.POWER_LOSS, cabinet)) if cabinet else None
        return incident is not None and device in incident.detail.get("lights", [])

    def _join(self, incident: Fault, device: str) -> None:
        lights = sorted({*incident.detail.get("lights", []), device})
        detail = {**incident.detail, "lights": lights}
        self._table.set_detail(incident.id, detail)
        self._remember(self._table.get(incident.id))

    # --- the table -----------------------------------------------------------------------------
    def _open_fault(self, kind: FaultKind, subject: str, now: int, detail: dict[str, Any]) -> None:
        if (kind, subject) not in self._open:
            self._remember(self._table.open(kind, subject, now, detail))

    def _close(self, kind: FaultKind, subject: str, now: int) -> None:
        fault = self._open.pop((kind, subject), None)
        if fault is not None:
            self._table.close(fault.id, now)
            self._tell(self._table.get(fault.id))

    def _remember(self, fault: Fault | None) -> None:
        if fault is not None:
            self._open[(fault.kind, fault.subject)] = fault
            self._tell(fault)

    def _tell(self, fault: Fault | None) -> None:
        if fault is None:
            return
        for listener in self.listeners:
            try:
                listener(fault)
            except Exception:  # a listener's bug must not stop fault tracking
                log.exception("light fault listener failed")

    def _offline_at(self, device: str, now: int) -> int:
        """When the light went offline: its last will's arrival, or when it went stale."""
        live = self._registry.get(device)
        if live is None or live.last_seen_ms is None:
            return now
        if live.online:  # said online, but silent too long
            return min(now, live.last_seen_ms + self._registry.stale_after_ms)
        return min(now, live.last_seen_ms)

    def _is_online(self, device: str, now: int) -> bool:
        live = self._registry.get(device)
        return live is not None and live.is_online(now, self._registry.stale_after_ms)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
