"""Small sites built in code for hub tests (the model site is tested in tests/devices)."""

from __future__ import annotations

from devices.contract import Kind
from devices.site import Alley, Cabinet, Device, Gate, Position, Road, Site, Zone

P = Position(lat=21.33, lon=105.28)


def small_site(lights: int = 4, site_id: str = "test-site") -> Site:
    devices = [
        Device(id=f"den-{i}", kind=Kind.LIGHT, name=f"Đèn {i}", group="ngo-1" if i % 2 else "duong-1",
               position=P, cabinet="tu-1")
        for i in range(1, lights + 1)
    ]
    devices.append(Device(id="loa-1", kind=Kind.SPEAKER, name="Loa 1", group="vung-bac", position=P))
    devices.append(Device(id="cam-1", kind=Kind.CAMERA, name="Camera 1", group="cong-chinh", position=P))
    return Site(
        id=site_id, name="Khu thử", commune="Sơn Vi", district="Lâm Thao", province="Phú Thọ", position=P,
        roads=[Road(id="duong-1", name="Đường 1", path=[P, P])],
        alleys=[Alley(id="ngo-1", name="Ngõ 1", road="duong-1", path=[P, P])],
        zones=[Zone(id="vung-bac", name="Vùng phía Bắc")],
        cabinets=[Cabinet(id="tu-1", name="Tủ điện 1", position=P)],
        gates=[Gate(id="cong-chinh", name="Cổng chính", position=P)],
        devices=devices,
    )


def load_site(devices: int, site_id: str = "load-site") -> Site:
    """A site with `devices` lights on one alley, for load tests and benchmarks (ids load-00001…)."""
    lights = [
        Device(id=f"load-{i:05d}", kind=Kind.LIGHT, name=f"Load {i}", group="ngo-1", position=P)
        for i in range(1, devices + 1)
    ]
    base = small_site(0, site_id)
    return base.model_copy(update={"devices": lights})
