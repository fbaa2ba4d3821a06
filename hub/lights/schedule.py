"""Schedule resolution: the rules of a group + the site's place + a window -> a timeline of
(instant, brightness) steps. Pure; the same timeline is the light's retained config and the preview.

When rules overlap, the winner at each instant is, in order:
  1. the higher `priority` number;
  2. the narrower days (named days such as Tết or 10/3 âm lịch > Rằm / Mùng 1 > a date range > weekdays
     or every day), see `Days.specificity`;
  3. the narrower target (an alley > its road > all lights);
  4. the rule listed first (the order the head arranged them in).
The winner's level holds (the last of its levels that has begun); where no rule holds the light is off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.lights.calendar import day_facts, matches
from hub.lights.rules import Rule
from hub.lights.sun import Place, next_after, resolve

MAX_SPAN = timedelta(hours=24)
Scope = Callable[[Rule], int]  # how narrow a rule's target is for the group being resolved


@dataclass(frozen=True, slots=True)
class Span:
    """One rule on one evening: its levels as instants, and when it stops holding."""

    rule: Rule
    rank: tuple[int, int, int, int]
    levels: tuple[tuple[datetime, int], ...]
    end: datetime

    @property
    def start(self) -> datetime:
        return self.levels[0][0]

    def level_at(self, moment: datetime) -> int:
        current = self.levels[0][1]
        for at, brightness in self.levels:
            if at > moment:
                break
            current = brightness
        return current


@dataclass(frozen=True, slots=True)
class TimelineStep:
    at_ms: int
    brightness: int
    rule_id: str | None  # None: no rule holds, the light is off


def span_of(rule: Rule, place: Place, day: date, rank: tuple[int, int, int, int] = (0, 0, 0, 0)) -> Span:
    """The instants of `rule` started on the local date `day`; ValueError if it runs over 24 hours."""
    first = resolve(rule.levels[0].at, place, day)
    levels = [(first, rule.levels[0].brightness)]
    for level in rule.levels[1:]:
        levels.append((next_after(level.at, place, day, levels[-1][0]), level.brightness))
    end = next_after(rule.until, place, day, levels[-1][0])
    if end - first > MAX_SPAN:
        raise ValueError(f"rule {rule.name!r}: its levels and 'until' must fit in 24 hours")
    return Span(rule, rank, tuple(levels), end)


def check_rule(rule: Rule, place: Place, day: date) -> None:
    """Raise ValueError naming the problem if the rule cannot be resolved (used before saving one)."""
    span_of(rule, place, day)


def spans(rules: Sequence[Rule], place: Place, start: datetime, end: datetime, scope: Scope) -> list[Span]:
    """Every enabled rule on every evening whose span meets [start, end)."""
    tz = place.tz
    first_day = start.astimezone(tz).date() - timedelta(days=2)
    days = (end.astimezone(tz).date() - first_day).days + 1
    found: list[Span] = []
    for order, rule in enumerate(rules):
        if not rule.enabled:
            continue
        rank = (rule.priority, rule.days.specificity, scope(rule), -order)
        for i in range(days):
            day = first_day + timedelta(days=i)
            if not matches(rule.days, day_facts(day)):
                continue
            span = span_of(rule, place, day, rank)
            if span.end > start and span.start < end:
                found.append(span)
    return found


def timeline(
    rules: Sequence[Rule], place: Place, start: datetime, end: datetime, scope: Scope = lambda _r: 0
) -> list[TimelineStep]:
    """The steps from `start` (the level in force then) to `end`, one per change of level or rule."""
    found = spans(rules, place, start, end, scope)
    edges = {start}
    for span in found:
        edges.update(at for at, _ in span.levels)
        edges.add(span.end)
    steps: list[TimelineStep] = []
    for moment in sorted(e for e in edges if start <= e < end):
        live = [s for s in found if s.start <= moment < s.end]
        winner = max(live, key=lambda s: s.rank, default=None)
        step = TimelineStep(
            _ms(moment),
            winner.level_at(moment) if winner else 0,
            winner.rule.id if winner else None,
        )
        if not steps or (steps[-1].brightness, steps[-1].rule_id) != (step.brightness, step.rule_id):
            steps.append(step)
    return steps


def config_steps(steps: Sequence[TimelineStep]) -> list[tuple[int, int]]:
    """The timeline as the light needs it: only changes of brightness (which rule is the hub's business)."""
    out: list[tuple[int, int]] = []
    for step in steps:
        if not out or out[-1][1] != step.brightness:
            out.append((step.at_ms, step.brightness))
    return out


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
