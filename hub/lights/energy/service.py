"""The energy service: follows each light's telemetry (ingest observer), adds up per light and local
day what it used and what it would have used at full power, and writes the sums in one transaction per
tick (light_energy, plus each light's last sample in light_meters so a restart loses no interval)."""

from __future__ import annotations

import threading

from devices.contract import Channel, Kind
from devices.light import LightTelemetry
from devices.site import Site
from hub.domain import Accepted
from hub.lights.energy.meter import DEFAULT_FULL_W, By, EnergyRow, Period, Sample, Use, between, local_day, roll_up
from hub.lights.faults.detect import LEAK_W
from hub.scheduling.sun import Place
from hub.statedb import StateDB


class FullPower:
    """Each light's draw at 100%, learned from its own samples (a smoothed mean), its rating until then."""

    def __init__(self, default_w: float = DEFAULT_FULL_W) -> None:
        self._default = default_w
        self._w: dict[str, float] = {}

    def observe(self, device: str, level: int, power_w: float) -> None:
        if level == 100 and power_w > LEAK_W:  # a burnt-out lamp at 100% teaches nothing
            old = self._w.get(device)
            self._w[device] = power_w if old is None else 0.9 * old + 0.1 * power_w

    def of(self, device: str) -> float:
        return self._w.get(device, self._default)


class EnergyService:
    def __init__(self, site: Site, db: StateDB, full_power: FullPower, tariff_vnd_per_kwh: float) -> None:
        self._site, self._db, self._full, self.tariff = site, db, full_power, tariff_vnd_per_kwh
        self._tz = Place.of(site).tz
        self._lock = threading.Lock()
        self._last: dict[str, Sample] = {
            r["device"]: Sample(r["ts_ms"], r["energy_wh"], r["power_w"], r["level"])
            for r in db.fetchall("SELECT device, ts_ms, energy_wh, power_w, level FROM light_meters")
        }
        self._pending: dict[tuple[str, str], Use] = {}
        self._moved: set[str] = set()

    def observe(self, batch: list[Accepted]) -> None:
        with self._lock:
            for item in batch:
                if (item.where.kind == Kind.LIGHT and item.where.channel == Channel.TELEMETRY
                        and isinstance(item.message, LightTelemetry)):
                    self._add(item.where.device, item.message, item.point.ts_ms)

    def _add(self, device: str, t: LightTelemetry, ts: int) -> None:
        cur = Sample(ts, t.energy_wh, t.power_w, t.level)
        self._full.observe(device, t.level, t.power_w)
        prev = self._last.get(device)
        if prev is not None and cur.ts_ms <= prev.ts_ms:
            return  # a replay or an old sample: already counted
        if prev is not None:
            key = (device, local_day(prev.ts_ms, self._tz))
            self._pending[key] = self._pending.get(key, Use()) + between(prev, cur, self._full.of(device))
        self._last[device] = cur
        self._moved.add(device)

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            meters = [(d, *_row(self._last[d])) for d in self._moved]
            self._moved = set()
        if not pending and not meters:
            return
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO light_energy (device, day, wh, full_wh, on_ms) VALUES (?,?,?,?,?)"
                " ON CONFLICT (device, day) DO UPDATE SET wh = wh + excluded.wh,"
                " full_wh = full_wh + excluded.full_wh, on_ms = on_ms + excluded.on_ms",
                [(d, day, u.wh, u.full_wh, u.on_ms) for (d, day), u in pending.items()],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO light_meters (device, ts_ms, energy_wh, power_w, level) VALUES (?,?,?,?,?)",
                meters,
            )

    def report(self, by: By, period: Period, since_day: str, until_day: str) -> list[EnergyRow]:
        """Rows from `since_day` to `until_day` (local dates, inclusive), with what is not yet written."""
        self.flush()
        rows = self._db.fetchall(
            "SELECT device, day, wh, full_wh, on_ms FROM light_energy WHERE day BETWEEN ? AND ?",
            (since_day, until_day),
        )
        uses = [(r["device"], r["day"], Use(r["wh"], r["full_wh"], r["on_ms"])) for r in rows]
        return roll_up(uses, self._site, by, period, self.tariff)


def _row(s: Sample) -> tuple[int, float, float, int]:
    return (s.ts_ms, s.energy_wh, s.power_w, s.level)

