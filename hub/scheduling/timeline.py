"""Timeline resolution: plans (rules) + the site's place + a window -> a timeline of (instant, value)
steps. Pure and generic over the value: a light's brightness, a bulletin's programme. The same timeline
is what a device keeps (a light's retained config) and what the app previews.

A plan holds from its first mark until `until` on each day its `Days` match; its marks follow each other
in time (each is the next occurrence after the one before). When plans overlap, the winner at each instant
is, in order:
  1. the higher `priority` number;
  2. the narrower days (named days such as Tết or 10/3 âm lịch > Rằm / Mùng 1 > a date range > weekdays
     or every day), see `Days.specificity`;
  3. the narrower target (the caller's `scope`: for a light, an alley > its road > all lights);
  4. the plan listed first (the order the head arranged them in).
The winner's value holds (the last of its marks that has begun); where no plan holds, `idle` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

from hub.scheduling.calendar import day_facts, matches
from hub.scheduling.sun import Place, next_after, resolve
from hub.scheduling.when import At, Days

V = TypeVar("V")
MAX_SPAN = timedelta(hours=24)
Rank = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Plan(Generic[V]):
    """A rule as the resolver sees it: which days, from which moments which values, until when."""

    id: str
    name: str
    target: str  # what the rule addresses (all, a road, a loudspeaker zone): the caller's scope ranks it
    priority: int
    days: Days
    marks: tuple[tuple[At, V], ...]  # at least one
    until: At
    enabled: bool = True


Scope = Callable[[Plan[V]], int]  # how narrow a plan's target is for what is being resolved


@dataclass(frozen=True, slots=True)
class Span(Generic[V]):
    """One plan on one day: its marks as instants, and when it stops holding."""

    plan: Plan[V]
    rank: Rank
    marks: tuple[tuple[datetime, V], ...]
    end: datetime

    @property
    def start(self) -> datetime:
        return self.marks[0][0]

    def value_at(self, moment: datetime) -> V:
        current = self.marks[0][1]
        for at, value in self.marks:
            if at > moment:
                break
            current = value
        return current


@dataclass(frozen=True, slots=True)
class Step(Generic[V]):
    at_ms: int
    value: V
    rule_id: str | None  # None: no plan holds, `idle` does


def span_of(plan: Plan[V], place: Place, day: date, rank: Rank = (0, 0, 0, 0)) -> Span[V]:
    """The instants of `plan` started on the local date `day`; ValueError if it runs over 24 hours."""
    first_at, first_value = plan.marks[0]
    marks = [(resolve(first_at, place, day), first_value)]
    for at, value in plan.marks[1:]:
        marks.append((next_after(at, place, day, marks[-1][0]), value))
    end = next_after(plan.until, place, day, marks[-1][0])
    if end - marks[0][0] > MAX_SPAN:
        raise ValueError(f"rule {plan.name!r}: its levels and 'until' must fit in 24 hours")
    return Span(plan, rank, tuple(marks), end)


def check(plan: Plan[V], place: Place, day: date) -> None:
    """Raise ValueError naming the problem if the plan cannot be resolved (used before saving a rule)."""
    span_of(plan, place, day)


def spans(plans: Sequence[Plan[V]], place: Place, start: datetime, end: datetime, scope: Scope[V]) -> list[Span[V]]:
    """Every enabled plan on every day whose span meets [start, end)."""
    tz = place.tz
    first_day = start.astimezone(tz).date() - timedelta(days=2)
    days = (end.astimezone(tz).date() - first_day).days + 1
    found: list[Span[V]] = []
    for order, plan in enumerate(plans):
        if not plan.enabled:
            continue
        rank = (plan.priority, plan.days.specificity, scope(plan), -order)
        for i in range(days):
            day = first_day + timedelta(days=i)
            if not matches(plan.days, day_facts(day)):
                continue
            span = span_of(plan, place, day, rank)
            if span.end > start and span.start < end:
                found.append(span)
    return found


def timeline(
    plans: Sequence[Plan[V]], place: Place, start: datetime, end: datetime, idle: V,
    scope: Scope[V] = lambda _p: 0,
) -> list[Step[V]]:
    """The steps from `start` (the value in force then) to `end`, one per change of value or plan."""
    found = spans(plans, place, start, end, scope)
    edges = {start}
    for span in found:
        edges.update(at for at, _ in span.marks)
        edges.add(span.end)
    steps: list[Step[V]] = []
    for moment in sorted(e for e in edges if start <= e < end):
        live = [s for s in found if s.start <= moment < s.end]
        winner = max(live, key=lambda s: s.rank, default=None)
        step = Step(_ms(moment), winner.value_at(moment) if winner else idle, winner.plan.id if winner else None)
        if not steps or (steps[-1].value, steps[-1].rule_id) != (step.value, step.rule_id):
            steps.append(step)
    return steps


def changes(steps: Sequence[Step[V]]) -> list[tuple[int, V]]:
    """The timeline as a device needs it: only changes of value (which rule holds is the hub's business)."""
    out: list[tuple[int, V]] = []
    for step in steps:
        if not out or out[-1][1] != step.value:
            out.append((step.at_ms, step.value))
    return out


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
