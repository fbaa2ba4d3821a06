"""The energy service: follows each light's telemetry (its run of each routed batch), adds up per light
and local day what it used and what it would have used at full power, and writes the sums in one
transaction per tick (light_energy, plus each light's last sample in light_meters so a restart loses no
interval)."""

from __future__ import annotations

import threading
from typing import Final

from devices.light import LightTelemetry
from devices.site import Site
from hub.domain import Accepted
from hub.lights.batch import Runs, sort_batch
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
        # (light, local day) -> (wh, full_wh, on_ms) not yet written; plain tuples, one per light and day
        self._pending: dict[tuple[str, str], tuple[float, float, int]] = {}
        # light -> its light_meters row, made when its last sample moved (while that sample is at hand: at
        # flush time 10,000 lights' samples would each be fetched again from cold memory)
        self._moved: dict[str, tuple[str, int, float, float, int]] = {}

    def observe(self, batch: list[Accepted]) -> None:
        """A batch as it comes (tests feed ingest's batches straight in)."""
        self.take(sort_batch(batch).runs)

    def take(self, runs: Runs) -> None:
        """Each light's run of the batch: its intervals summed per local day, one entry per light and day."""
        with self._lock:
            for device, items in runs.items():
                self._add_run(device, items)

    def _add_run(self, device: str, items: list[Accepted]) -> None:
        """What `between` says of each interval, added in order to the light's pending sum of its day (the
        same additions, in the same order, as one sample at a time: equal sums to the last bit)."""
        full, tz = self._full, self._tz
        prev = last = self._last.get(device)
        day: str | None = None  # the local day whose sum is being added to
        wh = full_wh = 0.0
        on_ms = 0
        for item in items:
            t = item.message
            if not isinstance(t, LightTelemetry):
                continue  # a fault event
            cur = Sample(item.point.ts_ms, t.energy_wh, t.power_w, t.level)
            full.observe(device, t.level, t.power_w)
            if prev is not None:
                if cur.ts_ms <= prev.ts_ms:
                    continue  # a replay or an old sample: already counted
                today = local_day(prev.ts_ms, tz)
                if today != day:  # the run's first interval, or a new local day: switch sums
                    if day is not None:
                        self._pending[(device, day)] = (wh, full_wh, on_ms)
                    day = today
                    wh, full_wh, on_ms = self._pending.get((device, day), _NOTHING)
                use = between(prev, cur, full.of(device))
                wh, full_wh, on_ms = wh + use.wh, full_wh + use.full_wh, on_ms + use.on_ms
            prev = cur
        if day is not None:
            self._pending[(device, day)] = (wh, full_wh, on_ms)
        if prev is not last and prev is not None:
            self._last[device] = prev
            self._moved[device] = (device, prev.ts_ms, prev.energy_wh, prev.power_w, prev.level)

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            meters, self._moved = list(self._moved.values()), {}
        if not pending and not meters:
            return
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO light_energy (device, day, wh, full_wh, on_ms) VALUES (?,?,?,?,?)"
                " ON CONFLICT (device, day) DO UPDATE SET wh = wh + excluded.wh,"
                " full_wh = full_wh + excluded.full_wh, on_ms = on_ms + excluded.on_ms",
                [(d, day, wh, full_wh, on_ms) for (d, day), (wh, full_wh, on_ms) in pending.items()],
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


_NOTHING: Final = (0.0, 0.0, 0)

