"""Which devices a group names: a road takes in the lights of its alleys as well as its own. Pure."""

from __future__ import annotations

from devices.site import Site


def group_members(site: Site, group: str) -> set[str]:
    groups = {group} | {a.id for a in site.alleys if a.road == group}
    return {d.id for d in site.devices if d.group in groups}
