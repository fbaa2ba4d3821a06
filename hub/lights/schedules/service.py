"""The schedules service: rules kept in the state DB, the preview, and each light's retained config.

On every change of rules the lights of the groups it reaches get a new retained `config` (their timeline
for the coming week); all lights are re-pushed once a day so the week always lies ahead of them. Each light
echoes the version it runs in its state (`config_version`); `status` shows which disagree.
"""

from __future__ import annotations

import secrets
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from devices.contract import Channel, Kind, topic
from hub.bus.base import Bus
from hub.lights.schedules.configs import ConfigStatus, compare, light_config, push_window
from hub.lights.schedules.rules import Rule, RuleBody, check_rule, resolve
from hub.lights.schedules.tables import ConfigLedger, Pushed, RuleTable
from hub.lights.targets import all_lights, groups_reached, known_target, light_groups, rules_for
from hub.registry import Registry
from hub.scheduling.sun import Place, daylight, sun_event
from hub.scheduling.timeline import Step, changes
from hub.timeutil import now_ms

REPUSH_MS = 86_400_000
DUSK_MARGIN = timedelta(minutes=30)


class RuleError(ValueError):
    """A rule that cannot be saved; `field` names the part of the body that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Expected:
    """What a group's schedule asks and whether it is full daylight, from `start_ms` until `end_ms`."""

    start_ms: int  # inclusive
    end_ms: int  # exclusive
    level: int | None  # None: no rule reaches the group
    daylight: bool


@dataclass(frozen=True, slots=True)
class GroupTimeline:
    group: str
    name: str
    lights: int
    steps: list[Step[int]]


class ScheduleService:
    def __init__(self, bus: Bus, registry: Registry, rules: RuleTable, ledger: ConfigLedger,
                 clock: Callable[[], int] = now_ms) -> None:
        self._bus, self._registry, self._rules, self._ledger, self._clock = bus, registry, rules, ledger, clock
        self.site = registry.site
        self.place = Place.of(self.site)
        self._lock = threading.Lock()  # one push at a time: two edits must not interleave their configs
        self._last_push_ms: int | None = None
        # group -> (window start, end, steps): what `expected` answers from, dropped on every push
        self._expected: dict[str, tuple[int, int, list[tuple[int, int]]]] = {}
        self._spans: dict[str, Expected] = {}  # group -> the last answer of `expected` and when it holds

    def rules(self) -> list[Rule]:
        return self._rules.all()

    def get(self, rule_id: str) -> Rule | None:
        return self._rules.get(rule_id)

    def create(self, body: RuleBody, by: int | None) -> Rule:
        now = self._clock()
        rule = Rule(id=f"r{now:x}{secrets.token_hex(2)}", **body.model_dump())
        self._check(rule, now)
        self._rules.put(rule, now, by)
        self.push(groups_reached(self.site, rule.target))
        return rule

    def update(self, rule_id: str, body: RuleBody, by: int | None) -> Rule | None:
        old = self._rules.get(rule_id)
        if old is None:
            return None
        now = self._clock()
        rule = Rule(id=rule_id, **body.model_dump())
        self._check(rule, now)
        self._rules.put(rule, now, by)
        self.push(set(groups_reached(self.site, old.target)) | set(groups_reached(self.site, rule.target)))
        return rule

    def delete(self, rule_id: str) -> bool:
        old = self._rules.get(rule_id)
        if old is None or not self._rules.delete(rule_id):
            return False
        self.push(groups_reached(self.site, old.target))
        return True

    def timelines(self, start: datetime, end: datetime, groups: Iterable[str] | None = None) -> list[GroupTimeline]:
        rules = self._rules.all()
        names = self.site.groups()
        out = []
        for group in groups if groups is not None else light_groups(self.site):
            chosen, scope = rules_for(self.site, group, rules)
            lights = sum(1 for d in self.site.devices if d.kind == Kind.LIGHT and d.group == group)
            out.append(GroupTimeline(group, names.get(group, group), lights,
                                     resolve(chosen, self.place, start, end, scope)))
        return out

    def push(self, groups: Iterable[str] | None = None) -> int:
        """Publish the retained config of every light in `groups` (all when None); return how many."""
        now = self._clock()
        start, end = push_window(now, self.place)
        with self._lock:
            pushed: list[Pushed] = []
            for item in self.timelines(start, end, groups):
                config = light_config(changes(item.steps))
                payload = config.model_dump_json().encode()
                for device in self.site.devices:
                    if device.kind == Kind.LIGHT and device.group == item.group:
                        self._bus.publish(topic(self.site.id, Kind.LIGHT, device.id, Channel.CONFIG), payload,
                                          qos=1, retain=True)
                        pushed.append(Pushed(device.id, config.version, now, int(end.timestamp() * 1000)))
            self._ledger.record(pushed)
            self._expected.clear()
            self._spans.clear()
            if groups is None:
                self._last_push_ms = now
        return len(pushed)

    def tick(self, now: int) -> None:
        """Re-push every light once a day (and on the first tick after a start)."""
        if self._bus.connected and (self._last_push_ms is None or now - self._last_push_ms >= REPUSH_MS):
            self.push()

    def expected(self, group: str, ts_ms: int) -> tuple[int | None, bool]:
        """What the schedule asks of `group` at `ts_ms` (None when no rule reaches it) and whether it is
        full daylight then (from 30 minutes after sunrise to 30 minutes before sunset)."""
        span = self.expected_span(group, ts_ms)
        return span.level, span.daylight

    def expected_span(self, group: str, ts_ms: int) -> Expected:
        """`expected`, with the span of time around `ts_ms` it holds for (until the timeline's next step or
        daylight's next edge). The fault detectors ask for every telemetry sample, so the last span of each
        group is kept: a sample inside it costs a comparison, not a datetime and two sun lookups."""
        with self._lock:
            span = self._spans.get(group)
            if span is None or not span.start_ms <= ts_ms < span.end_ms:
                span = self._spans[group] = self._span(group, ts_ms)
        return span

    def _span(self, group: str, ts_ms: int) -> Expected:
        """The answer of `expected` at `ts_ms` and the span around it where it holds (under the lock)."""
        cached = self._expected.get(group)
        if cached is None or not cached[0] <= ts_ms < cached[1]:
            start, end = push_window(ts_ms, self.place)
            chosen, scope = rules_for(self.site, group, self._rules.all())
            steps = changes(resolve(chosen, self.place, start, end, scope)) if chosen else []
            cached = (_ms(start), _ms(end), steps)
            self._expected[group] = cached
        window_start, window_end, steps = cached
        i = bisect_right([at for at, _ in steps], ts_ms) - 1  # the last step begun by ts_ms
        level = steps[i][1] if i >= 0 else None
        begun_ms = steps[i][0] if i >= 0 else window_start
        next_ms = steps[i + 1][0] if i + 1 < len(steps) else window_end
        lit, sun_start, sun_end = _daylight_span(self.place, ts_ms)
        return Expected(max(begun_ms, window_start, sun_start), min(next_ms, window_end, sun_end), level, lit)

    def status(self) -> list[ConfigStatus]:
        reported: dict[str, int | None] = {}
        for device in all_lights(self.site):
            live = self._registry.get(device)
            value = live.state.get("config_version") if live is not None else None
            reported[device] = value if isinstance(value, int) else None
        return compare(all_lights(self.site), self._ledger.all(), reported)

    def _check(self, rule: Rule, now: int) -> None:
        if not known_target(self.site, rule.target):
            raise RuleError("target", f"{rule.target!r} is not 'all', a road or an alley of the site")
        start, _ = push_window(now, self.place)
        try:
            check_rule(rule, self.place, start.date())
        except ValueError as exc:
            raise RuleError("levels", str(exc)) from None


def _daylight_span(place: Place, ts_ms: int) -> tuple[bool, int, int]:
    """`daylight` at `ts_ms` (as sun.daylight decides it: both edges count as day) and the span of that
    local day over which the answer stays the same, in epoch milliseconds."""
    day = datetime.fromtimestamp(ts_ms / 1000, place.tz).date()
    lit = daylight(place, datetime.fromtimestamp(ts_ms / 1000, place.tz), DUSK_MARGIN)
    rise = _ms(sun_event(place, day, "sunrise") + DUSK_MARGIN)
    dusk = _ms(sun_event(place, day, "sunset") - DUSK_MARGIN) + 1  # the first instant after the day
    if lit:
        return True, rise, dusk
    midnight = datetime.combine(day, time(0), tzinfo=place.tz)
    if ts_ms < rise:
        return False, _ms(midnight), rise
    return False, dusk, _ms(midnight + timedelta(days=1))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
