"""The street lights as a service of the runtime: options, events and how to build them from a context.

Lights already has the service shape (hub/service.py): it wants every light message, which its router
worker "svc-lights" brings in batches, and ticks on that same worker. Its command roll-ups and faults are
published here as domain events for the head and the technician (the live feed sends them on).
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.site import Site
from hub.events import OPERATORS, DomainEvent, EventHub
from hub.lights.commands.model import LightCommand
from hub.lights.faults.store import Fault
from hub.lights.service import Lights
from hub.lights.views import FaultPublic
from hub.service import ServiceContext, ServiceSpec


@dataclass(frozen=True, slots=True)
class LightsOptions:
    """What tests (and later the CLI) tune; the defaults are production's. None: the service's own value."""

    tick_s: float = 1.0
    confirm_timeout_ms: int | None = None  # a sent command with no confirmation by then times out
    grace_ms: int | None = None  # how long an override may wait for its lights before it is given up


def command_event(command: LightCommand) -> DomainEvent:
    r = command.rollup()
    body = {"id": command.id, "vi": r.vi, "en": r.en, "done": r.done, "ok": r.ok, "total": r.total,
            "counts": r.counts}
    return DomainEvent("light_command", OPERATORS, body, key=f"command:{command.id}")


def fault_event(fault: Fault, site: Site) -> DomainEvent:
    view = FaultPublic.of(fault, site)
    body = {"id": view.id, "kind": view.kind, "subject": view.subject, "vi": view.vi, "en": view.en,
            "open": view.closed_ms is None, "seen": view.seen_ms is not None}
    return DomainEvent("light_fault", OPERATORS, body, key=f"fault:{fault.id}")


def publish_events(lights: Lights, events: EventHub, site: Site) -> None:
    """Command roll-ups and faults, as they change, to the event hub."""
    lights.commands.listeners.append(lambda command: events.publish(command_event(command)))
    lights.faults.listeners.append(lambda fault: events.publish(fault_event(fault, site)))


def build(ctx: ServiceContext) -> Lights:
    options = ctx.options_for("lights", LightsOptions())
    s = ctx.settings
    lights = Lights(ctx.bus, ctx.registry, ctx.state, ctx.audit, clock=ctx.clock, tick_s=options.tick_s,
                    tariff_vnd_per_kwh=s.lights_tariff_vnd_per_kwh, offline_hold_ms=s.lights_offline_hold_s * 1000)
    if options.confirm_timeout_ms is not None:
        lights.commands.confirm_timeout_ms = options.confirm_timeout_ms
    if options.grace_ms is not None:
        lights.commands.overrides.grace_ms = options.grace_ms
    publish_events(lights, ctx.events, ctx.site)
    return lights


SPEC = ServiceSpec("lights", build)
