"""Street-light rules as plain data: what a hamlet head writes ("from sunset 100%, from 23:00 50%, until
sunrise") for a target (all lights, a road or an alley) on some days (hub/scheduling/when.py).

One rule is one night's profile: its levels follow each other in time (each `at` is the next occurrence
after the previous one, so "23:00" after "sunset" is the same evening and "sunrise" is the next morning)
and the rule holds from its first level until `until`. Outside every rule the light is off.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.scheduling.sun import Place
from hub.scheduling.timeline import Plan, Scope, Step, check, timeline
from hub.scheduling.when import At, Days

ALL = "all"
GroupRef = Annotated[str, StringConstraints(pattern=r"^(all|[a-z0-9][a-z0-9-]{0,31})$")]
RuleName = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: At
    brightness: Annotated[int, Field(ge=0, le=100)]


class RuleBody(BaseModel):
    """A rule as written by the head or technician (create and update)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: RuleName
    target: GroupRef = ALL  # "all", a road (with its alleys) or an alley
    priority: Annotated[int, Field(ge=0, le=100)] = 10
    enabled: bool = True
    days: Days = Days()
    levels: Annotated[list[Level], Field(min_length=1, max_length=12)]
    until: At


class Rule(RuleBody):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,40}$")]

    def plan(self) -> Plan[int]:
        """The rule as the shared resolver takes it: brightness is the value it sets."""
        return Plan(self.id, self.name, self.target, self.priority, self.days,
                    tuple((level.at, level.brightness) for level in self.levels), self.until, self.enabled)


def resolve(rules: Sequence[Rule], place: Place, start: datetime, end: datetime,
            scope: Scope[int] = lambda _p: 0) -> list[Step[int]]:
    """The lights' timeline (brightness per instant) from `start` to `end`; off (0) where no rule holds."""
    return timeline([r.plan() for r in rules], place, start, end, 0, scope)


def check_rule(rule: Rule, place: Place, day: date) -> None:
    """Raise ValueError naming the problem if the rule cannot be resolved (used before saving one)."""
    check(rule.plan(), place, day)
