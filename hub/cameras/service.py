"""The cameras service: every camera probed on its own interval by the prober's pool; each result judged
(hub/cameras/health.py) on the service's worker, which alone writes the store, opens and closes faults,
publishes the retained `camera/{id}/state` and tells the phone app.

Its thread: besides the runtime's worker ("svc-cameras", whose tick schedules due probes and takes finished
results), a small pool "cam-probe_N" does the blocking HTTP and OpenCV work, as the service shape allows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from devices.camera import CameraState
from devices.contract import Channel, Kind, topic
from devices.site import Site
from hub.auth.audit import AuditLog
from hub.bus.base import Bus
from hub.cameras.address import Policy, resolve_checked
from hub.cameras.fetch import Limits
from hub.cameras.health import Health, Reading, Status, judge, ordered, reading_reasons, rebooted
from hub.cameras.models import Registration
from hub.cameras.prober import Prober, Result, Target
from hub.cameras.store import CameraStore, Saved
from hub.cameras.watch import Period, Watch
from hub.events import EVERYONE, OPERATORS, DomainEvent, EventHub
from hub.scheduling.sun import Place, daylight
from hub.service import ServiceBase
from hub.storage.base import FieldValue, Point

log = logging.getLogger(__name__)
Record = Callable[[Sequence[Point]], None]
TWILIGHT: Final = timedelta(minutes=45)
STREAK: Final = 2  # an unreachable camera, a broken or slow answer: twice in a row before it counts


@dataclass(frozen=True)
class CameraOptions:
    """What tests and the bench tune; the defaults are production's."""

    tick_s: float = 1.0
    interval_s: float | None = None  # every camera's interval instead of its own (tests)
    workers: int = 8
    limits: Limits = field(default_factory=Limits)
    slow_ms: float = 2000.0


@dataclass
class Now:
    """What the service holds of one camera between probes."""

    status: Status = Status.OFFLINE
    since: dict[str, int] = field(default_factory=dict)  # reason -> since; "" -> status since
    streak: dict[str, int] = field(default_factory=dict)  # transport failures and slowness in a row
    picture: frozenset[str] = frozenset()
    reading: Reading | None = None
    checked_ms: int | None = None
    latency_ms: float | None = None
    probed: bool = False


class Cameras(ServiceBase):
    name = "cameras"
    tick_s: float | None = 1.0

    def __init__(self, site: Site, bus: Bus, store: CameraStore, events: EventHub, policy: Callable[[], Policy], *,
                 clock: Callable[[], int], options: CameraOptions = CameraOptions(), record: Record | None = None,
                 resolve: Callable[[str, int], list[str]] | None = None, audit: AuditLog | None = None,
                 residents_see_thumbnails: bool = False) -> None:
        self.site, self._bus, self.store, self._events, self._clock = site, bus, store, events, clock
        self.audit, self.residents_see_thumbnails = audit, residents_see_thumbnails
        self.options, self._record, self.policy = options, record, policy
        self.tick_s = options.tick_s
        self.cameras = {d.id: d for d in site.devices if d.kind == Kind.CAMERA}
        self.gates = {g.id: g.name for g in site.gates}
        self._place = Place.of(site)
        self._resolve = resolve
        self.prober = Prober(options.workers, policy, options.limits, resolve) if resolve else Prober(
            options.workers, policy, options.limits)
        self._lock = threading.RLock()  # the API reads from the threadpool while the worker writes
        self.targets: dict[str, Target] = {}
        self.now: dict[str, Now] = {d: Now() for d in self.cameras}
        self.maintenance: dict[str, int] = {}
        self._due: dict[str, int] = {}
        self._open: set[tuple[str, str]] = set()

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            for device, address in self.store.addresses().items():
                if device in self.cameras:
                    self.targets[device] = Target(device, address, Watch(clock=address.clock_region))
            self.maintenance = self.store.maintenance()
            self._open = self.store.open_faults()
            for device, saved in self.store.statuses().items():
                if device in self.now:
                    self.now[device] = Now(Status(saved.status), dict(saved.since), checked_ms=saved.checked_ms,
                                           latency_ms=saved.latency_ms, probed=True)

    def stop(self) -> None:
        self.prober.close()

    def tick(self) -> None:
        """Take finished probes, then start the ones due. Never waits for a camera."""
        self.drain()
        now = self._clock()
        for device, target in list(self.targets.items()):
            if self._due.get(device, 0) <= now and self.prober.submit(target, now, self.period(now)):
                interval = self.options.interval_s or target.address.interval_s
                self._due[device] = now + int(interval * 1000)

    def drain(self) -> int:
        handled = 0
        while True:
            try:
                result = self.prober.results.get_nowait()
            except Exception:  # queue.Empty
                return handled
            try:
                self.take(result)
            except Exception:
                log.exception("camera %s: result not handled", result.device)
            handled += 1

    def period(self, now_ms: int) -> Period:
        """Day from 45 minutes after sunrise to 45 before sunset, night from 45 after sunset to 45 before
        sunrise, twilight between (when the watch learns nothing; see hub/cameras/watch.py)."""
        moment = datetime.fromtimestamp(now_ms / 1000, self._place.tz)
        if daylight(self._place, moment, TWILIGHT):
            return "day"
        return "twilight" if daylight(self._place, moment, -TWILIGHT) else "night"

    def clock(self) -> int:
        return self._clock()

    def probe_now(self, devices: Sequence[str] | None = None) -> None:
        """Probe these cameras (all by default) at the next tick, whatever their interval."""
        with self._lock:
            for device in devices if devices is not None else list(self.targets):
                self._due[device] = 0
        self.tick()

    # --- what technicians do (API threads) ------------------------------------------------------
    def register(self, device: str, address: Registration, by: int | None) -> None:
        """Set where a camera of the inventory answers; AddressRefused (naming why) when it may not be used,
        LookupError when the site has no such camera."""
        if device not in self.cameras:
            raise LookupError(f"{device!r} is not a camera of the site inventory")
        if self._resolve is not None:
            resolve_checked(address.host, address.port, self.policy(), self._resolve)
        else:
            resolve_checked(address.host, address.port, self.policy())
        now = self._clock()
        with self._lock:
            self.store.set_address(device, address, by, now)
            self.targets[device] = Target(device, address, Watch(clock=address.clock_region))
            self._due[device] = 0  # probe it at the next tick

    def set_maintenance(self, device: str, until_ms: int | None, note: str, by: int | None) -> None:
        if device not in self.cameras:
            raise LookupError(f"{device!r} is not a camera of the site inventory")
        now = self._clock()
        with self._lock:
            if until_ms is None or until_ms <= now:
                self._end_maintenance(device, now)
            else:
                self.store.set_maintenance(device, until_ms, note, by, now)
                self.maintenance[device] = until_ms
            self._due[device] = 0

    def health_now(self) -> dict[str, str]:
        """Status of each camera the hub probes (addressed and probed at least once); others are left out."""
        with self._lock:
            return {d: st.status.value for d, st in self.now.items() if d in self.targets and st.probed}

    def snapshot(self, device: str) -> tuple[Now, int | None, bool]:
        """(status as held now, maintenance until, has an address) for the views, under the lock."""
        with self._lock:
            st = self.now[device]
            copy = Now(st.status, dict(st.since), dict(st.streak), st.picture, st.reading, st.checked_ms,
                       st.latency_ms, st.probed)
            return copy, self.maintenance.get(device), device in self.targets

    # --- one result -----------------------------------------------------------------------------
    def take(self, r: Result) -> None:
        with self._lock:
            st = self.now[r.device]
            found = self._reasons(st, r)
            until = self.maintenance.get(r.device)
            if until is not None and until <= r.ts_ms:
                self._end_maintenance(r.device, r.ts_ms)
                until = None
            status = judge(found, maintenance=until is not None)
            reasons = () if status == Status.MAINTENANCE else ordered(found)
            changed = status != st.status or set(reasons) != {k for k in st.since if k} or not st.probed
            since = {k: st.since.get(k, r.ts_ms) for k in reasons}
            since[""] = st.since.get("", r.ts_ms) if status == st.status and st.probed else r.ts_ms
            restarted = r.reading is not None and rebooted(st.reading, r.reading)
            st.status, st.since, st.probed = status, since, True
            st.checked_ms, st.latency_ms = r.ts_ms, r.latency_ms
            if r.reading is not None:
                st.reading = r.reading
            self.store.save(self._saved(r.device, st), r.jpeg, changed, r.ts_ms)
            if changed:
                self._faults(r.device, set(reasons), r, status)
                self._publish(r.device, st, reasons)
            if restarted:
                self._events.publish(DomainEvent("camera_reboot", OPERATORS, {"id": r.device, "ts_ms": r.ts_ms}))
        self._telemetry(r, st)

    def _reasons(self, st: Now, r: Result) -> set[str]:
        for kind in ("unreachable", "timeout", "bad_image", "slow"):
            hit = r.failure == kind or (kind == "slow" and (r.latency_ms or 0) > self.options.slow_ms)
            st.streak[kind] = st.streak.get(kind, 0) + 1 if hit else 0
        out = {k for k in ("unreachable", "timeout", "bad_image", "slow") if st.streak[k] >= STREAK}
        if r.failure in ("unreachable", "timeout") and not out & {"unreachable", "timeout"}:
            # one miss: not offline yet, and nothing else is known this time, so keep what was said
            return {k for k in st.since if k} | out
        if r.failure is None:
            st.picture = frozenset(c.value for c in r.picture)
        reading = r.reading if r.reading is not None else st.reading
        out |= st.picture | (reading_reasons(reading, r.ts_ms) if reading is not None else set())
        return out

    def _faults(self, device: str, reasons: set[str], r: Result, status: Status) -> None:
        for device_kind in [k for k in self._open if k[0] == device and k[1] not in reasons]:
            self.store.close_fault(device, device_kind[1], r.ts_ms)
            self._open.discard(device_kind)
            self._tell_fault(device, device_kind[1], False)
        if status == Status.MAINTENANCE:
            return
        for reason in sorted(reasons - {k for d, k in self._open if d == device}):
            self.store.open_fault(device, reason, r.ts_ms, r.jpeg)
            self._open.add((device, reason))
            self._tell_fault(device, reason, True)

    def _tell_fault(self, device: str, kind: str, opened: bool) -> None:
        body = {"id": device, "kind": kind, "open": opened, "name": self.cameras[device].name}
        self._events.publish(DomainEvent("camera_fault", OPERATORS, body, key=f"camera-fault:{device}:{kind}"))

    def _publish(self, device: str, st: Now, reasons: Sequence[str]) -> None:
        health = Health(st.status, tuple(reasons), st.since)
        body = {"id": device, "status": st.status.value, "vi": health.vi, "reasons": list(reasons),
                "since_ms": st.since.get("")}
        self._events.publish(DomainEvent("camera_health", EVERYONE, body, key=f"camera:{device}"))
        recording = st.reading.recording if st.reading and st.reading.recording is not None else None
        state = CameraState(ts=st.checked_ms or 0, seq=st.checked_ms or 0,
                            recording=bool(recording) and st.status != Status.OFFLINE,
                            stream_ok=st.status not in (Status.OFFLINE,) and "bad_image" not in reasons,
                            health=st.status.value, reasons=",".join(reasons)[:500] or None)
        try:
            self._bus.publish(topic(self.site.id, Kind.CAMERA, device, Channel.STATE),
                              state.model_dump_json(exclude_none=True).encode(), qos=1, retain=True)
        except Exception:  # the broker is away: the next change publishes again, the store has it all
            log.warning("camera %s: state not published (broker unavailable)", device)

    def _telemetry(self, r: Result, st: Now) -> None:
        if self._record is None:
            return
        fields: dict[str, FieldValue] = {"reachable": r.failure not in ("unreachable", "timeout"),
                                         "status": st.status.value}
        if r.latency_ms is not None:
            fields["latency_ms"] = round(r.latency_ms, 1)
        if r.size is not None:
            fields["width"], fields["height"] = r.size
        if r.reading is not None:
            for name in ("recording", "storage_free_pct", "temperature_c", "uptime_s"):
                value = getattr(r.reading, name)
                if value is not None:
                    fields[name] = value
        fields.update({f"score_{k}": v for k, v in r.scores.items()})
        gate = self.cameras[r.device].group
        try:
            self._record([Point("camera", self.site.id, r.device, gate, r.ts_ms, fields)])
        except Exception:
            log.exception("camera %s: reading not recorded", r.device)

    def _saved(self, device: str, st: Now) -> Saved:
        reading = st.reading
        readings = {} if reading is None else {k: getattr(reading, k) for k in (
            "recording", "storage_free_pct", "temperature_c", "uptime_s")}
        return Saved(device, st.status.value, dict(st.since), st.checked_ms, st.latency_ms, readings)

    def _end_maintenance(self, device: str, now: int) -> None:
        self.maintenance.pop(device, None)
        self.store.set_maintenance(device, None, "", None, now)
        target = self.targets.get(device)
        if target is not None:
            target.watch.reset()  # the technician may have re-aimed it: learn the view again
