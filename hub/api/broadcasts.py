"""Loudspeaker bulletins: everyone reads the schedule and the bulletins (residents listen again); the head
and technicians create, change and cancel them, read the as-run log (JSON or CSV) and the speaker faults.

Thin: the work is in hub/broadcasts. Handlers are plain `def`, so FastAPI runs them in its threadpool
(SQLite, espeak-ng for text bulletins, publishing)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response

from hub.api.access import ANY_ROLE, Principal, Role, allow
from hub.api.deps import service_dep
from hub.broadcasts.checks import BulletinError, ClashError
from hub.broadcasts.model import BulletinBody
from hub.broadcasts.plan import programme
from hub.broadcasts.service import Broadcasts
from hub.broadcasts.views import BulletinPublic, RunPublic, SpeakerFaultPublic, SpeakerPlan, log_csv

router = APIRouter(prefix="/api/broadcasts", tags=["broadcasts"])

BroadcastsDep = Annotated[Broadcasts, Depends(service_dep("broadcasts", Broadcasts))]
Operator = Annotated[Principal, allow(Role.HEAD, Role.TECHNICIAN)]
Anyone = Annotated[Principal, allow(*ANY_ROLE)]
BulletinId = Annotated[str, Path(pattern=r"^b[a-z0-9]{1,30}$")]


@router.get("", response_model=list[BulletinPublic])
def list_bulletins(service: BroadcastsDep, _: Anyone,
                   status: Annotated[Literal["active", "cancelled"] | None, Query()] = None) -> list[BulletinPublic]:
    """Newest first, each with its speakers and the address of its medium (to listen again)."""
    found = [b for b in service.bulletins() if status is None or b.status == status]
    return [BulletinPublic.of(b, service.targets_of(b.id)) for b in reversed(found)]


@router.post("", status_code=201, response_model=BulletinPublic,
             responses={200: {"description": "the same emergency was sent within the last minute: that one"},
                        409: {"description": "clashes with another bulletin on a shared speaker"}})
def create_bulletin(body: BulletinBody, service: BroadcastsDep, who: Operator, response: Response) -> BulletinPublic:
    try:
        bulletin, created = service.create(body, who)
    except BulletinError as exc:
        _invalid(["body", exc.field], str(exc))
    except ClashError as exc:
        raise HTTPException(409, str(exc)) from None
    if not created:
        response.status_code = 200
    return BulletinPublic.of(bulletin, service.targets_of(bulletin.id))


@router.get("/upcoming", response_model=list[SpeakerPlan])
def upcoming(service: BroadcastsDep, _: Anyone, days: Annotated[int, Query(ge=1, le=14)] = 7) -> list[SpeakerPlan]:
    """What each speaker will play from now on, with the priorities applied (interruptions, misses)."""
    now = service.clock()
    plans = service.programmes(now, now + days * 86_400_000)
    return [SpeakerPlan.of(service.site, s, programme(plans.get(s, [])), service.tz) for s in service.speakers]


@router.get("/log", response_model=list[RunPublic],
            responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?format=csv"}})
def as_run_log(
    service: BroadcastsDep,
    _: Operator,
    since: Annotated[date | None, Query(description="first local date; default 7 days back")] = None,
    until: Annotated[date | None, Query(description="last local date; default today")] = None,
    bulletin: Annotated[str | None, Query(pattern=r"^b[a-z0-9]{1,30}$")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> list[RunPublic] | Response:
    """Planned vs aired, per bulletin per speaker: what the commune files."""
    today = datetime.fromtimestamp(service.clock() / 1000, service.tz).date()
    last = until or today
    first = since or last - timedelta(days=6)
    if first > last or (last - first).days > 400:
        _invalid(["query", "since"], "since must not be after until, and the span at most 400 days")
    start = datetime.combine(first, datetime.min.time(), service.tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), service.tz)
    runs = service.log(int(start.timestamp() * 1000), int(end.timestamp() * 1000), bulletin)
    bulletins = {b.id: b for b in service.bulletins()}
    rows = [RunPublic.of(r, bulletins, service.site, service.tz) for r in runs]
    if format == "csv":
        name = f"nhat-ky-phat-thanh-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(log_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return rows


@router.get("/faults", response_model=list[SpeakerFaultPublic])
def faults(service: BroadcastsDep, _: Operator,
           open_only: Annotated[bool, Query(alias="open")] = False,
           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[SpeakerFaultPublic]:
    """Newest first: amplifier over temperature, audio path broken, no signal, offline."""
    return [SpeakerFaultPublic.of(f, service.site) for f in service.faults.page(open_only=open_only, limit=limit)]


@router.post("/faults/{fault_id}/seen", response_model=SpeakerFaultPublic)
def see_fault(fault_id: Annotated[int, Path(ge=1, le=2**62)], service: BroadcastsDep,
              who: Operator) -> SpeakerFaultPublic:
    fault = service.see_fault(fault_id, who)
    if fault is None:
        raise HTTPException(404, f"fault {fault_id} is unknown")
    return SpeakerFaultPublic.of(fault, service.site)


@router.get("/{bulletin_id}", response_model=BulletinPublic)
def get_bulletin(bulletin_id: BulletinId, service: BroadcastsDep, _: Anyone) -> BulletinPublic:
    bulletin = service.get(bulletin_id)
    if bulletin is None:
        raise HTTPException(404, f"bulletin {bulletin_id!r} is unknown")
    return BulletinPublic.of(bulletin, service.targets_of(bulletin_id), service.delivery(bulletin_id))


@router.put("/{bulletin_id}", response_model=BulletinPublic)
def update_bulletin(bulletin_id: BulletinId, body: BulletinBody, service: BroadcastsDep,
                    who: Operator) -> BulletinPublic:
    try:
        bulletin = service.update(bulletin_id, body, who)
    except BulletinError as exc:
        _invalid(["body", exc.field], str(exc))
    except ClashError as exc:
        raise HTTPException(409, str(exc)) from None
    if bulletin is None:
        raise HTTPException(404, f"bulletin {bulletin_id!r} is unknown")
    return BulletinPublic.of(bulletin, service.targets_of(bulletin_id))


@router.post("/{bulletin_id}/cancel", response_model=BulletinPublic)
def cancel_bulletin(bulletin_id: BulletinId, service: BroadcastsDep, who: Operator) -> BulletinPublic:
    """Stops it where it plays or waits now and drops it from every speaker's plan."""
    bulletin = service.cancel(bulletin_id, who)
    if bulletin is None:
        raise HTTPException(404, f"bulletin {bulletin_id!r} is unknown")
    return BulletinPublic.of(bulletin, service.targets_of(bulletin_id))


def _invalid(loc: list[str], message: str) -> NoReturn:
    """422 in FastAPI's own shape, naming the field."""
    raise HTTPException(422, [{"loc": loc, "msg": message, "type": "value_error"}])
