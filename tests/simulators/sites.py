"""Small sites built straight from the pydantic models (no inventory file needed)."""

from __future__ import annotations

from devices.contract import Kind
from devices.site import Alley, Cabinet, Device, Gate, Position, Road, Site, Zone

HERE = Position(lat=21.33, lon=105.31)


def small_site(lights: int = 3, speakers: int = 2, cameras: int = 1, site_id: str = "test-khu",
               cabinets: int = 0) -> Site:
    """With `cabinets`, the lights are fed round-robin by tu-1, tu-2...: den-01 by tu-1, den-02 by tu-2..."""
    feeders = [f"tu-{i}" for i in range(1, cabinets + 1)]
    devices = [Device(id=f"den-{i:02d}", kind=Kind.LIGHT, name=f"Đèn {i}", group="ngo-1", position=HERE,
                      cabinet=feeders[(i - 1) % cabinets] if cabinets else None)
               for i in range(1, lights + 1)]
    devices += [Device(id=f"loa-{i:02d}", kind=Kind.SPEAKER, name=f"Loa {i}", group="vung-1", position=HERE)
                for i in range(1, speakers + 1)]
    devices += [Device(id=f"cam-{i:02d}", kind=Kind.CAMERA, name=f"Camera {i}", group="cong-1", position=HERE)
                for i in range(1, cameras + 1)]
    return Site(
        id=site_id, name="Khu thử", commune="Sơn Vi", district="Lâm Thao", province="Phú Thọ", position=HERE,
        roads=[Road(id="duong-1", name="Đường 1", path=[HERE, HERE])],
        alleys=[Alley(id="ngo-1", name="Ngõ 1", road="duong-1", path=[HERE, HERE])],
        zones=[Zone(id="vung-1", name="Vùng 1")],
        cabinets=[Cabinet(id=c, name=f"Tủ điện {c}", position=HERE) for c in feeders],
        gates=[Gate(id="cong-1", name="Cổng 1", position=HERE)],
        devices=devices,
    )
