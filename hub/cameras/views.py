"""What the API shows of a camera: for everyone its status in words per gate; for the head and technicians
also its reasons' history, its faults with the picture that raised them, its readings and its address."""

from __future__ import annotations

from hub.auth.principal import Role
from hub.cameras.health import REASONS, Health, Status, describe
from hub.cameras.models import CameraDetail, CameraPublic, FaultView, HistoryEntry, ReasonView
from hub.cameras.service import Cameras

WEEK_MS = 7 * 24 * 3600 * 1000
OPERATOR_ROLES = frozenset({Role.HEAD, Role.TECHNICIAN})


def sees_pictures(cameras: Cameras, role: Role) -> bool:
    return role in OPERATOR_ROLES or cameras.residents_see_thumbnails


def public(cameras: Cameras, device: str, role: Role) -> CameraPublic:
    camera = cameras.cameras[device]
    st, until, addressed = cameras.snapshot(device)
    now = cameras.clock()
    reasons = [k for k in REASONS if k in st.since]
    if not addressed:
        status, reasons = "offline", ["no_address"]
    elif not st.probed:
        status = "unknown"
    else:
        status = st.status.value
    if until is not None and until > now:
        status, reasons = Status.MAINTENANCE.value, []
    health = Health(Status(status) if status != "unknown" else Status.OK, tuple(reasons), st.since)
    vi = describe(health, "vi") if status != "unknown" else "đang kiểm tra"
    en = describe(health, "en") if status != "unknown" else "checking"
    since = min((st.since[k] for k in reasons if k in st.since), default=st.since.get(""))
    return CameraPublic(
        id=device, name=camera.name, gate=camera.group, gate_name=cameras.gates.get(camera.group, camera.group),
        status=status, vi=vi, en=en, since_ms=since if addressed else None,
        reasons=[ReasonView(code=k, vi=REASONS[k][0], en=REASONS[k][1], since_ms=st.since.get(k)) for k in reasons],
        maintenance_until_ms=until if until is not None and until > now else None,
        uptime_7d=cameras.store.uptime(device, now - WEEK_MS, now) if addressed else None,
        checked_ms=st.checked_ms, thumbnail=sees_pictures(cameras, role) and st.checked_ms is not None,
    )


def detail(cameras: Cameras, device: str, role: Role) -> CameraDetail:
    base = public(cameras, device, role)
    st, _, _ = cameras.snapshot(device)
    now = cameras.clock()
    history = [HistoryEntry(ts_ms=ts, status=status, reasons=reasons)
               for ts, status, reasons in cameras.store.history(device, now - WEEK_MS)]
    operator = role in OPERATOR_ROLES
    faults = [FaultView(id=f.id, kind=f.kind, vi=REASONS.get(f.kind, (f.kind, f.kind))[0],
                        en=REASONS.get(f.kind, (f.kind, f.kind))[1], opened_ms=f.opened_ms, seen_ms=f.seen_ms,
                        closed_ms=f.closed_ms, picture=f.picture and operator)
              for f in cameras.store.faults(device)] if operator else []
    target = cameras.targets.get(device)
    readings: dict[str, float | int | bool | None] = {}
    if st.reading is not None:
        readings = {"recording": st.reading.recording, "storage_free_pct": st.reading.storage_free_pct,
                    "temperature_c": st.reading.temperature_c, "uptime_s": st.reading.uptime_s}
    return CameraDetail(**base.model_dump(), address=target.address if target and operator else None,
                        latency_ms=st.latency_ms, history=history, faults=faults, readings=readings)
