"""The lights services together, as the Hub runs them: one service of the runtime (hub/service.py) whose
router worker "svc-lights" hands it every light message in batches and calls its tick (timeouts, expiry,
daily config re-push, fault timers, store flushes: all the SQLite work off the event loop and off the
ingest thread), and the audit log of every command and schedule change with who did it and how it ended.
hub/lights/spec.py builds it for the runtime."""

from __future__ import annotations

import logging
from collections.abc import Callable

from devices.contract import Channel, Kind
from hub.auth.audit import AuditLog
from hub.auth.principal import Principal
from hub.bus.base import Bus
from hub.lights.batch import sort_batch
from hub.lights.commands.model import CommandRequest, LightCommand, sqlite_store
from hub.lights.commands.service import CommandService, Who
from hub.lights.energy.service import EnergyService, FullPower
from hub.lights.faults.detect import Context
from hub.lights.faults.service import FaultService
from hub.lights.faults.store import Fault, FaultTable
from hub.lights.schedules.rules import Rule, RuleBody
from hub.lights.schedules.service import Expected, ScheduleService
from hub.lights.schedules.tables import ConfigLedger, RuleTable
from hub.registry import Registry
from hub.service import Batch, Route
from hub.statedb import StateDB
from hub.timeutil import now_ms

log = logging.getLogger(__name__)


class Lights:
    name = "lights"
    wants: frozenset[Route] = frozenset((Kind.LIGHT, channel) for channel in (
        Channel.AVAILABILITY, Channel.STATE, Channel.TELEMETRY, Channel.ACK, Channel.EVENT))

    def __init__(self, bus: Bus, registry: Registry, state: StateDB, audit: AuditLog, *,
                 clock: Callable[[], int] = now_ms, tick_s: float = 1.0, tariff_vnd_per_kwh: float = 2_000,
                 offline_hold_ms: int = 60_000) -> None:
        self._audit, self._clock = audit, clock
        self.tick_s: float | None = tick_s  # the router's worker ticks it
        self._site = registry.site
        self._registry = registry
        self._store = sqlite_store(state)
        self.commands = CommandService(bus, registry, self._store, clock=clock)
        self.schedules = ScheduleService(bus, registry, RuleTable(state), ConfigLedger(state), clock)
        self.full_power = FullPower()
        self.energy = EnergyService(registry.site, state, self.full_power, tariff_vnd_per_kwh)
        self.faults = FaultService(registry, FaultTable(state), self._fault_context, clock=clock,
                                   hold_ms=offline_hold_ms)
        self.commands.listeners.append(self._on_command_change)
        # per light: the schedule span its last fault context was made from, and that context
        self._contexts: dict[str, tuple[Expected, Context]] = {}
        self._who: dict[str, Principal] = {}  # who sent each command still open, for its result's audit line

    def start(self) -> None:
        self._store.prune(self._clock())
        self.commands.load()

    def stop(self) -> None:
        self.tick()  # after the worker's last batch: save what changed since the last tick

    def handle(self, batch: Batch) -> None:
        """A routed batch, sorted once (hub/lights/batch.py): the commands get every availability, ack and
        state in order; energy and then faults each light's telemetry and events as one run. Energy first:
        it learns each light's full power, which the lamp-failure detector then uses. One part's bug spares
        the others."""
        parts = sort_batch(batch)
        parts_in_order: tuple[tuple[str, Callable[[], None]], ...] = (
            ("commands", lambda: self.commands.observe(parts.control)),
            ("energy", lambda: self.energy.take(parts.runs)),
            ("faults", lambda: self.faults.take(parts.runs)),
        )
        for name, run in parts_in_order:
            try:
                run()
            except Exception:
                log.exception("lights: the %s part failed on a batch", name)

    def resync(self) -> None:
        """Messages were dropped on a full queue. Nothing is made up: a lost ack or state ends in the
        command's timeout, queued commands go out on the next tick from the registry's online state, and
        energy and faults work on meter readings and timers, where a gap costs resolution, not correctness."""
        log.warning("lights: messages were dropped on a full queue; open commands may time out")

    def tick(self) -> None:
        now = self._clock()
        self.commands.tick(now)
        self.schedules.tick(now)
        self.faults.tick(now)
        self.energy.flush()

    # --- faults --------------------------------------------------------------------------------
    def see_fault(self, fault_id: int, by: Principal) -> Fault | None:
        fault = self.faults.see(fault_id, by.user_id)
        if fault is not None:
            self._audit.record(by, "light.fault.seen", f"fault:{fault_id}", "ok", f"{fault.kind} {fault.subject}")
        return fault

    def _fault_context(self, device: str, ts_ms: int) -> Context:
        """What the detectors weigh a sample against; runs for every sample, so it is kept per light while
        its schedule's span (the same object until the timeline steps, daylight turns or rules change) and
        its full power hold: then the light's run of samples shares one context and, while the reading
        repeats, one verdict."""
        light = self._registry.get(device)
        if light is None:
            return Context(self.full_power.of(device), None, False)
        span = self.schedules.expected_span(light.group, ts_ms)
        full_w = self.full_power.of(device)
        kept = self._contexts.get(device)
        if kept is not None and kept[0] is span and kept[1].full_w == full_w:
            return kept[1]
        context = Context(full_w, span.level, span.daylight)
        self._contexts[device] = (span, context)
        return context

    # --- commands ------------------------------------------------------------------------------
    def command(self, request: CommandRequest, by: Principal) -> LightCommand:
        """Send a command; LookupError (audited as failed) when the target has no light."""
        try:
            command = self.commands.submit(request, Who(by.user_id, by.name))
        except LookupError as exc:
            self._audit.record(by, "light.command", request.target.key, "failed", str(exc))
            raise
        self._who[command.id] = by
        self._audit.record(by, "light.command", request.target.key, "ok", f"{command.id}: {_describe(request)}")
        return command

    def _on_command_change(self, command: LightCommand) -> None:
        if command.finished_ms is None:
            return
        result = command.rollup()
        by = self._who.pop(command.id, None)
        actor = None if by is not None else command.by_name  # after a restart: the name it was sent under
        self._audit.record(by, "light.command.result", command.target.key, "ok" if result.ok else "failed",
                           f"{command.id}: {result.vi}", actor=actor)

    # --- schedules -----------------------------------------------------------------------------
    def create_rule(self, body: RuleBody, by: Principal) -> Rule:
        rule = self.schedules.create(body, by.user_id)
        self._audit.record(by, "light.schedule.create", f"rule:{rule.id}", "ok", f"{rule.name} → {rule.target}")
        return rule

    def update_rule(self, rule_id: str, body: RuleBody, by: Principal) -> Rule | None:
        rule = self.schedules.update(rule_id, body, by.user_id)
        if rule is not None:
            self._audit.record(by, "light.schedule.update", f"rule:{rule_id}", "ok", f"{rule.name} → {rule.target}")
        return rule

    def delete_rule(self, rule_id: str, by: Principal) -> bool:
        gone = self.schedules.delete(rule_id)
        if gone:
            self._audit.record(by, "light.schedule.delete", f"rule:{rule_id}", "ok")
        return gone


def _describe(request: CommandRequest) -> str:
    what = "off" if not request.on else f"on {request.brightness}%" if request.brightness else "on"
    return f"{what} for {request.for_minutes} min" if request.for_minutes else what
