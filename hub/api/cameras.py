"""Security cameras: status per gate for every resident; registration (host, port, path) and maintenance for
technicians; pictures for the head and technicians (for residents only when the site allows it).

Thin: the work is in hub/cameras. Handlers are plain `def`: FastAPI runs them in its threadpool, away from
the event loop (SQLite, DNS resolution of a camera's host)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Response

from hub.api.access import ANY_ROLE, Principal, Role, allow
from hub.api.deps import service_dep
from hub.cameras.address import AddressRefused
from hub.cameras.models import CameraDetail, CameraPublic, MaintenanceBody, Registration
from hub.cameras.service import Cameras
from hub.cameras.views import detail, public, sees_pictures

router = APIRouter(prefix="/api/cameras", tags=["cameras"])

CamerasDep = Annotated[Cameras, Depends(service_dep("cameras", Cameras))]
Anyone = Annotated[Principal, allow(*ANY_ROLE)]
Operator = Annotated[Principal, allow(Role.HEAD, Role.TECHNICIAN)]
Technician = Annotated[Principal, allow(Role.TECHNICIAN)]
CameraId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
NO_STORE = {"Cache-Control": "private, no-store"}  # a picture of the street is nobody's cache entry


def _known(cameras: Cameras, device: str) -> None:
    if device not in cameras.cameras:
        raise HTTPException(404, f"camera {device!r} is not in the site inventory")


@router.get("", response_model=list[CameraPublic])
def list_cameras(cameras: CamerasDep, who: Anyone) -> list[CameraPublic]:
    """Every camera of the site, gate by gate, with its status in words and its 7-day uptime."""
    return [public(cameras, d, who.role) for d in sorted(cameras.cameras, key=lambda d: (cameras.cameras[d].group, d))]


@router.get("/{device}", response_model=CameraDetail)
def get_camera(device: CameraId, cameras: CamerasDep, who: Anyone) -> CameraDetail:
    _known(cameras, device)
    return detail(cameras, device, who.role)


@router.get("/{device}/thumbnail", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}, 403: {}, 404: {}})
def thumbnail(device: CameraId, cameras: CamerasDep, who: Anyone) -> Response:
    if not sees_pictures(cameras, who.role):  # first: a resident learns nothing, not even which ids exist
        raise HTTPException(403, "this site does not show camera pictures to residents")
    _known(cameras, device)
    picture = cameras.store.thumbnail(device)
    if picture is None:
        raise HTTPException(404, f"no picture of {device!r} yet")
    return Response(picture, media_type="image/jpeg", headers=NO_STORE)


@router.get("/{device}/faults/{fault_id}/picture", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}, 404: {}})
def fault_picture(device: CameraId, fault_id: Annotated[int, Path(ge=1)], cameras: CamerasDep,
                  _: Operator) -> Response:
    """The picture that raised the fault (a covered lens, a turned camera)."""
    picture = cameras.store.fault_picture(device, fault_id)
    if picture is None:
        raise HTTPException(404, f"no picture for fault {fault_id} of {device!r}")
    return Response(picture, media_type="image/jpeg", headers=NO_STORE)


@router.put("/{device}/address", response_model=CameraDetail)
def register(device: CameraId, body: Registration, cameras: CamerasDep, who: Technician) -> CameraDetail:
    """Where the camera answers: host, port, paths. 422 naming why when the address may not be used."""
    _known(cameras, device)
    try:
        cameras.register(device, body, who.user_id)
    except AddressRefused as exc:
        _audit(cameras, who, "camera.register", device, "failed", str(exc))
        raise HTTPException(422, [{"loc": ["body", "host"], "msg": str(exc), "type": "address_refused"}]) from None
    _audit(cameras, who, "camera.register", device, "ok", f"{body.host}:{body.port}{body.snapshot_path}")
    return detail(cameras, device, who.role)


@router.put("/{device}/maintenance", response_model=CameraDetail)
def maintenance(device: CameraId, body: MaintenanceBody, cameras: CamerasDep, who: Technician) -> CameraDetail:
    """In maintenance until `until_ms` (null ends it): no faults raised, residents read "đang bảo trì"."""
    _known(cameras, device)
    cameras.set_maintenance(device, body.until_ms, body.note, who.user_id)
    _audit(cameras, who, "camera.maintenance", device, "ok", f"until {body.until_ms} {body.note}".strip())
    return detail(cameras, device, who.role)


@router.post("/{device}/faults/{fault_id}/seen", status_code=204)
def see_fault(device: CameraId, fault_id: Annotated[int, Path(ge=1)], cameras: CamerasDep, who: Operator) -> None:
    if not cameras.store.see_fault(device, fault_id, who.user_id, cameras.clock()):
        raise HTTPException(404, f"fault {fault_id} of {device!r} is unknown or already seen")
    _audit(cameras, who, "camera.fault.seen", device, "ok", f"fault:{fault_id}")


def _audit(cameras: Cameras, who: Principal, action: str, device: str, outcome: str, detail_text: str) -> None:
    if cameras.audit is not None:
        cameras.audit.record(who, action, f"camera:{device}", "ok" if outcome == "ok" else "failed", detail_text)
