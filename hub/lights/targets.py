"""Which lights a command or a rule reaches, and how narrowly. Pure, over the site inventory.

A light belongs to one group: an alley (ngõ) or a road (đường). A road takes in the lights of its alleys;
a loudspeaker zone holds no lights, so a command to one reaches nothing and is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from devices.contract import Kind
from devices.site import Device, Site
from hub.commands.model import Label, Target
from hub.lights.schedules.rules import ALL, Rule
from hub.scheduling.timeline import Plan, Scope


def all_lights(site: Site) -> list[str]:
    return [d.id for d in site.devices if d.kind == Kind.LIGHT]


def lights_in(site: Site, group: str) -> list[str]:
    """The lights of a road (with its alleys) or an alley; [] for any other group."""
    if group == ALL:
        return all_lights(site)
    return [d.id for d in site.lights_in(group)]


def light_groups(site: Site) -> list[str]:
    """The groups lights sit in directly, in inventory order: each has its own timeline."""
    seen: dict[str, None] = {}
    for device in site.devices:
        if device.kind == Kind.LIGHT:
            seen.setdefault(device.group, None)
    return list(seen)


def road_of(site: Site, group: str) -> str | None:
    return next((a.road for a in site.alleys if a.id == group), None)


def known_target(site: Site, target: str) -> bool:
    """A rule may name all lights, a road or an alley of the site."""
    return target == ALL or target in {r.id for r in site.roads} | {a.id for a in site.alleys}


def rules_for(site: Site, group: str, rules: Sequence[Rule]) -> tuple[list[Rule], Scope[int]]:
    """The rules that reach lights of `group`, in their order, and the scope ranking their targets."""
    narrowness = {ALL: 0, group: 2}
    road = road_of(site, group)
    if road is not None:
        narrowness[road] = 1
    elif group in {r.id for r in site.roads}:
        narrowness[group] = 1  # a light on the road itself: the road is its narrowest target
    chosen = [r for r in rules if r.target in narrowness]

    def scope(plan: Plan[int]) -> int:
        return narrowness[plan.target]

    return chosen, scope


def groups_reached(site: Site, target: str) -> list[str]:
    """The light groups whose timeline changes when a rule for `target` changes."""
    groups = light_groups(site)
    if target == ALL:
        return groups
    return [g for g in groups if g == target or road_of(site, g) == target]


def resolve_target(site: Site, target: Target) -> tuple[Label, list[Device]]:
    """The label and the lights of a command's target; LookupError naming what is unknown or empty."""
    if target.device is not None:
        device = site.device(target.device)
        if device is None or device.kind != Kind.LIGHT:
            raise LookupError(f"target.device: {target.device!r} is not a light of the site")
        return Label(device.name, device.name), [device]
    if target.group is not None:
        name = site.groups().get(target.group)
        lights = site.lights_in(target.group)
        if name is None or not lights:
            raise LookupError(f"target.group: {target.group!r} is not a road or alley with lights")
        return Label(name, name), lights
    lights = site.devices_of(Kind.LIGHT)
    if not lights:
        raise LookupError("target.all: the site has no lights")
    return Label("Tất cả đèn", "All lights"), lights
