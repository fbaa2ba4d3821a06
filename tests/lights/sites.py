"""A small hamlet for lights tests: Ngõ 3 with twelve lights off Đường 1 (which has two of its own),
fed by two power cabinets."""

from __future__ import annotations

from devices.contract import Kind
from devices.site import Alley, Cabinet, Device, Position, Road, Site

P = Position(lat=21.33, lon=105.28)


def hamlet(alley_lights: int = 12) -> Site:
    devices = [
        Device(id=f"den-{i}", kind=Kind.LIGHT, name=f"Đèn {i}", group="ngo-3", position=P,
               cabinet="tu-1" if i <= 8 else "tu-2")
        for i in range(1, alley_lights + 1)
    ]
    devices += [
        Device(id=f"duong-den-{i}", kind=Kind.LIGHT, name=f"Đèn đường {i}", group="duong-1", position=P,
               cabinet="tu-2")
        for i in (1, 2)
    ]
    return Site(
        id="son-vi", name="Khu 10", commune="Sơn Vi", district="Lâm Thao", province="Phú Thọ", position=P,
        roads=[Road(id="duong-1", name="Đường 1", path=[P, P])],
        alleys=[Alley(id="ngo-3", name="Ngõ 3", road="duong-1", path=[P, P])],
        cabinets=[Cabinet(id="tu-1", name="Tủ điện 1", position=P), Cabinet(id="tu-2", name="Tủ điện 2", position=P)],
        devices=devices,
    )
