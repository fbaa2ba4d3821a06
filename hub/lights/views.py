"""What the lights API returns, split from the stored forms: commands with their roll-up, the schedule
preview in the site's local time (dd/mm/yyyy HH:MM, 24-hour), presets and config sync."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from devices.site import Site
from hub.commands.model import Target
from hub.lights.commands.model import LightCommand
from hub.lights.commands.overrides import OverridePhase
from hub.lights.energy.meter import EnergyRow
from hub.lights.faults.detect import TITLES, FaultKind
from hub.lights.faults.store import Fault
from hub.lights.schedules.configs import ConfigStatus
from hub.lights.schedules.presets import Preset
from hub.lights.schedules.rules import Rule, RuleBody
from hub.lights.schedules.service import GroupTimeline


class RollupPublic(BaseModel):
    vi: str
    en: str
    done: bool
    ok: bool
    total: int
    counts: dict[str, int]


class LightProgressPublic(BaseModel):
    device: str
    name: str
    status: str
    updated_ms: int
    attempts: int
    error: str | None
    override: OverridePhase | None = None


class CommandPublic(BaseModel):
    id: str
    created_ms: int
    expires_ms: int
    by: str
    target: Target
    on: bool
    brightness: int | None
    for_minutes: int | None
    override_until_ms: int | None
    finished_ms: int | None
    rollup: RollupPublic
    lights: list[LightProgressPublic]

    @classmethod
    def of(cls, c: LightCommand, overrides: dict[str, OverridePhase] | None = None) -> CommandPublic:
        r = c.rollup()
        phases = overrides or {}
        return cls(
            id=c.id, created_ms=c.created_ms, expires_ms=c.expires_ms, by=c.by_name, target=c.target,
            on=c.desired.on, brightness=c.desired.brightness, for_minutes=c.desired.for_minutes,
            override_until_ms=c.override_until_ms, finished_ms=c.finished_ms,
            rollup=RollupPublic(vi=r.vi, en=r.en, done=r.done, ok=r.ok, total=r.total, counts=r.counts),
            lights=[LightProgressPublic(device=p.device, name=p.name, status=p.status.value, updated_ms=p.updated_ms,
                                        attempts=p.attempts, error=p.error, override=phases.get(p.device))
                    for p in c.lights.values()],
        )


class StepPublic(BaseModel):
    at_ms: int
    at_local: str  # "21/06/2026 18:43"
    brightness: int
    rule_id: str | None
    rule_name: str | None


class GroupPreview(BaseModel):
    group: str
    name: str
    lights: int
    steps: list[StepPublic]

    @classmethod
    def of(cls, item: GroupTimeline, rules: dict[str, Rule], tz: ZoneInfo) -> GroupPreview:
        steps = [
            StepPublic(at_ms=s.at_ms, at_local=local_text(s.at_ms, tz), brightness=s.value, rule_id=s.rule_id,
                       rule_name=rules[s.rule_id].name if s.rule_id in rules else None)
            for s in item.steps
        ]
        return cls(group=item.group, name=item.name, lights=item.lights, steps=steps)


class PresetPublic(BaseModel):
    key: str
    name_vi: str
    name_en: str
    describe_vi: str
    describe_en: str
    rule: RuleBody

    @classmethod
    def of(cls, p: Preset) -> PresetPublic:
        return cls(key=p.key, name_vi=p.name_vi, name_en=p.name_en, describe_vi=p.describe_vi,
                   describe_en=p.describe_en, rule=p.body)


class ConfigStatusPublic(BaseModel):
    device: str
    expected_version: int | None
    reported_version: int | None
    pushed_ms: int | None
    in_sync: bool

    @classmethod
    def of(cls, s: ConfigStatus) -> ConfigStatusPublic:
        return cls(device=s.device, expected_version=s.expected, reported_version=s.reported,
                   pushed_ms=s.pushed_ms, in_sync=s.in_sync)


def local_text(at_ms: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz).strftime("%d/%m/%Y %H:%M")


class FaultPublic(BaseModel):
    id: int
    kind: str
    subject: str  # a light, or a power cabinet
    subject_name: str
    vi: str  # "Tủ điện 1: mất điện — 8 đèn mất kết nối"
    en: str
    lights: list[str]  # the lights a power loss took down
    opened_ms: int
    seen_ms: int | None
    seen_by: int | None
    closed_ms: int | None

    @classmethod
    def of(cls, f: Fault, site: Site) -> FaultPublic:
        names = {**{c.id: c.name for c in site.cabinets}, **{d.id: d.name for d in site.devices}}
        subject = names.get(f.subject, f.subject)
        lights = [str(d) for d in f.detail.get("lights", [])]
        title_vi, title_en = TITLES[f.kind]
        if f.kind == FaultKind.POWER_LOSS:
            vi = f"{subject}: mất điện — {len(lights)} đèn mất kết nối"
            en = f"{subject}: power lost — {len(lights)} lights offline"
        else:
            vi, en = f"{subject}: {title_vi.lower()}", f"{subject}: {title_en.lower()}"
        return cls(id=f.id, kind=f.kind.value, subject=f.subject, subject_name=subject, vi=vi, en=en, lights=lights,
                   opened_ms=f.opened_ms, seen_ms=f.seen_ms, seen_by=f.seen_by, closed_ms=f.closed_ms)


class EnergyRowPublic(BaseModel):
    key: str
    name: str
    period: str
    kwh: float
    full_kwh: float
    saved_kwh: float
    cost_vnd: int
    saved_vnd: int
    lit_hours: float


class EnergyReport(BaseModel):
    by: str
    period: str
    since: str
    until: str
    tariff_vnd_per_kwh: float
    rows: list[EnergyRowPublic]

    @classmethod
    def of(cls, by: str, period: str, since: str, until: str, tariff: float, rows: list[EnergyRow]) -> EnergyReport:
        return cls(by=by, period=period, since=since, until=until, tariff_vnd_per_kwh=tariff,
                   rows=[EnergyRowPublic.model_validate(r, from_attributes=True) for r in rows])
