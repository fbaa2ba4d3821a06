"""Street lights: commands (head, technician), schedules (read: any role; write: head, technician),
the week's preview, each light's config sync, faults (head, technician) and energy (any role).

Thin: the work is in hub/lights, reached through `LightsDep` (the service alone, not the hub). Handlers
are plain `def` so FastAPI runs them in its threadpool, away from the event loop (SQLite, publishing, sun
maths)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, NoReturn

from fastapi import APIRouter, HTTPException, Path, Query, Response

from hub.api.access import ANY_ROLE, Principal, Role, allow
from hub.api.deps import LightsDep, SiteDep
from hub.lights.commands.model import CommandRequest
from hub.lights.energy.meter import By, Period
from hub.lights.schedules.presets import PRESETS
from hub.lights.schedules.rules import Rule, RuleBody
from hub.lights.schedules.service import RuleError
from hub.lights.targets import light_groups
from hub.lights.views import (
    CommandPublic,
    ConfigStatusPublic,
    EnergyReport,
    FaultPublic,
    GroupPreview,
    PresetPublic,
)
from hub.timeutil import now_ms

router = APIRouter(prefix="/api/lights", tags=["lights"])

Operator = Annotated[Principal, allow(Role.HEAD, Role.TECHNICIAN)]
Anyone = Annotated[Principal, allow(*ANY_ROLE)]
CommandId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
RuleId = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]


@router.post("/commands", status_code=202, response_model=CommandPublic)
def send_command(body: CommandRequest, lights: LightsDep, who: Operator) -> CommandPublic:
    """Returns at once; follow the roll-up with GET /api/lights/commands/{id}."""
    try:
        command = lights.command(body, who)
    except LookupError as exc:
        _invalid(["body", "target"], str(exc))
    return CommandPublic.of(command)


@router.get("/commands/{command_id}", response_model=CommandPublic)
def get_command(command_id: CommandId, lights: LightsDep, _: Operator) -> CommandPublic:
    command = lights.commands.get(command_id)
    if command is None:
        raise HTTPException(404, f"command {command_id!r} is unknown")
    return CommandPublic.of(command, lights.commands.overrides.of_command(command_id))


@router.get("/schedules", response_model=list[Rule])
def list_rules(lights: LightsDep, _: Anyone) -> list[Rule]:
    return lights.schedules.rules()


@router.get("/schedules/presets", response_model=list[PresetPublic])
def presets(_: Anyone) -> list[PresetPublic]:
    return [PresetPublic.of(p) for p in PRESETS.values()]


@router.get("/schedules/preview", response_model=list[GroupPreview])
def preview(
    lights: LightsDep, site: SiteDep,
    _: Anyone,
    days: Annotated[int, Query(ge=1, le=14)] = 7,
    group: Annotated[str | None, Query(max_length=32, description="one alley or road; default all")] = None,
) -> list[GroupPreview]:
    """What each group of lights will do from now on, step by step, in the site's local time."""
    service = lights.schedules
    groups = light_groups(site)
    if group is not None and group not in groups:
        raise HTTPException(404, f"group {group!r} has no lights of its own")
    start = datetime.fromtimestamp(now_ms() / 1000, service.place.tz).replace(second=0, microsecond=0)
    found = service.timelines(start, start + timedelta(days=days), [group] if group else groups)
    rules = {r.id: r for r in service.rules()}
    return [GroupPreview.of(item, rules, service.place.tz) for item in found]


@router.get("/schedules/sync", response_model=list[ConfigStatusPublic])
def config_sync(lights: LightsDep, _: Operator) -> list[ConfigStatusPublic]:
    """Whether each light runs the schedule it was last sent (its state's `config_version`)."""
    return [ConfigStatusPublic.of(s) for s in lights.schedules.status()]


@router.get("/schedules/{rule_id}", response_model=Rule)
def get_rule(rule_id: RuleId, lights: LightsDep, _: Anyone) -> Rule:
    return _found(rule_id, lights.schedules.get(rule_id))


@router.post("/schedules", status_code=201, response_model=Rule)
def create_rule(body: RuleBody, lights: LightsDep, who: Operator) -> Rule:
    try:
        return lights.create_rule(body, who)
    except RuleError as exc:
        _invalid(["body", exc.field], str(exc))


@router.put("/schedules/{rule_id}", response_model=Rule)
def update_rule(rule_id: RuleId, body: RuleBody, lights: LightsDep, who: Operator) -> Rule:
    try:
        return _found(rule_id, lights.update_rule(rule_id, body, who))
    except RuleError as exc:
        _invalid(["body", exc.field], str(exc))


@router.delete("/schedules/{rule_id}", status_code=204)
def delete_rule(rule_id: RuleId, lights: LightsDep, who: Operator) -> Response:
    if not lights.delete_rule(rule_id, who):
        raise HTTPException(404, f"schedule rule {rule_id!r} is unknown")
    return Response(status_code=204)


@router.get("/faults", response_model=list[FaultPublic])
def faults(
    lights: LightsDep, site: SiteDep,
    _: Operator,
    open_only: Annotated[bool, Query(alias="open", description="only the faults not closed yet")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[FaultPublic]:
    """Newest first: lamp failures, relay faults, burning by day, lights offline, power-cabinet losses."""
    return [FaultPublic.of(f, site) for f in lights.faults.page(open_only=open_only, limit=limit)]


@router.post("/faults/{fault_id}/seen", response_model=FaultPublic)
def see_fault(
    fault_id: Annotated[int, Path(ge=1, le=2**62)], lights: LightsDep, site: SiteDep, who: Operator
) -> FaultPublic:
    fault = lights.see_fault(fault_id, who)
    if fault is None:
        raise HTTPException(404, f"fault {fault_id} is unknown")
    return FaultPublic.of(fault, site)


@router.get("/energy", response_model=EnergyReport)
def energy(
    lights: LightsDep,
    _: Anyone,
    by: Annotated[By, Query(description="light, alley or road")] = "road",
    period: Annotated[Period, Query(description="day or month")] = "day",
    since: Annotated[date | None, Query(description="first local date; default 7 days or 12 months back")] = None,
    until: Annotated[date | None, Query(description="last local date; default today")] = None,
) -> EnergyReport:
    """kWh and đồng per light, alley or road and per day or month, with what dimming saved."""
    today = datetime.fromtimestamp(now_ms() / 1000, lights.schedules.place.tz).date()
    last = until or today
    first = since or (last - timedelta(days=6) if period == "day" else date(last.year - 1, last.month, 1))
    if first > last or (last - first).days > 800:
        _invalid(["query", "since"], "since must not be after until, and the span at most 800 days")
    service = lights.energy
    rows = service.report(by, period, first.isoformat(), last.isoformat())
    return EnergyReport.of(by, period, first.isoformat(), last.isoformat(), service.tariff, rows)


def _found(rule_id: str, rule: Rule | None) -> Rule:
    if rule is None:
        raise HTTPException(404, f"schedule rule {rule_id!r} is unknown")
    return rule


def _invalid(loc: list[str], message: str) -> NoReturn:
    """422 in FastAPI's own shape, naming the field."""
    raise HTTPException(422, [{"loc": loc, "msg": message, "type": "value_error"}])
