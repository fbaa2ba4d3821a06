"""A site with only cameras at two gates, for the cameras' tests and the bench."""

from __future__ import annotations

from devices.contract import Kind
from devices.site import Device, Gate, Position, Site

P = Position(lat=21.33, lon=105.28)


def camera_site(count: int, site_id: str = "cam-site") -> Site:
    gates = [Gate(id="cong-chinh", name="Cổng chính", position=P), Gate(id="cong-sau", name="Cổng sau", position=P)]
    devices = [Device(id=f"cam-{i}", kind=Kind.CAMERA, name=f"Camera {i}", group=gates[i % 2].id, position=P)
               for i in range(1, count + 1)]
    return Site(id=site_id, name="Khu thử", commune="Sơn Vi", district="Lâm Thao", province="Phú Thọ", position=P,
                gates=gates, devices=devices)
