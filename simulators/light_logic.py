"""A street light's behaviour as pure data: commands, schedule, faults and a plausible power model.

Modes follow TALQ: `schedule` (the light follows its retained config on its own), `override` (a set with
`for_minutes`, back to the schedule when it ends) and `manual` (a set without a duration, held until the next
schedule step, as a street-light controller's manual switch is). With OFF the last brightness is kept, so a
plain ON restores it; `level` in telemetry is what the driver actually outputs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final

from devices.light import LightConfig, LightMode, LightSet
from simulators.commands import NOTHING, Emit, Outcome

STANDBY_W: Final = 0.5  # the controller and its radio, relay open
DEAD_LAMP_W: Final = 0.3  # a driver with no load still draws a little
NOMINAL_V: Final = 220.0

LIGHT_FAULTS: Final = {
    "lamp_failure": "lamp on but draws ~0 W (burnt LED module)",
    "relay_stuck": "relay does not switch: set is refused with error relay_stuck",
}


def power_w(level: int, rated_w: float, lamp_ok: bool = True) -> float:
    """Input power at a driver output level (0-100), before measurement noise.

    LED drivers are less efficient dimmed (about 80% near 0, 90% at full), so a 40 W LED draws ~44.9 W at
    100% and ~5.4 W at 10%; with the relay open only the controller's standby draw remains.
    """
    if level <= 0:
        return STANDBY_W
    if not lamp_ok:
        return STANDBY_W + DEAD_LAMP_W
    efficiency = 0.80 + 0.10 * level / 100
    return STANDBY_W + rated_w * level / 100 / efficiency


def scheduled_level(config: LightConfig | None, now_ms: int) -> int | None:
    """The brightness the schedule asks for at `now_ms`: the last step that has begun, None before any."""
    if config is None:
        return None
    begun = [s for s in config.steps if s.at <= now_ms]
    return max(begun, key=lambda s: s.at).brightness if begun else None


def next_step_at(config: LightConfig | None, now_ms: int) -> int | None:
    if config is None:
        return None
    return min((s.at for s in config.steps if s.at > now_ms), default=None)


@dataclass
class LightLogic:
    rated_w: float = 40.0
    on: bool = False
    brightness: int = 100
    mode: LightMode = "schedule"
    fault: str | None = None
    config: LightConfig | None = None
    energy_wh: float = 0.0
    hold_until_ms: int | None = None  # end of an override, or the step that ends a manual set
    _accrued_ms: int | None = field(default=None, repr=False)

    @property
    def level(self) -> int:
        return self.brightness if self.on else 0

    def state_fields(self) -> dict[str, object]:
        version = self.config.version if self.config is not None else None
        return {"state": "ON" if self.on else "OFF", "brightness": self.brightness, "mode": self.mode,
                "config_version": version}

    def ack_fields(self) -> dict[str, object]:
        return {"state": "ON" if self.on else "OFF", "brightness": self.brightness}

    def apply(self, command: LightSet, now_ms: int) -> Outcome:
        error = _refusal(command)
        if error is None and self.fault == "relay_stuck":
            stuck = Emit("relay_fault", {"detail": "relay did not switch"})
            return Outcome(ok=False, error="relay_stuck", ack=self.ack_fields(), events=(stuck,))
        if error is not None:
            return Outcome(ok=False, error=error, ack=self.ack_fields())
        self._accrue(now_ms)
        if command.brightness is not None:
            self.brightness = command.brightness or self.brightness
        self.on = command.state == "ON" if command.state is not None else bool(command.brightness)
        if command.for_minutes is not None:
            self.mode, self.hold_until_ms = "override", now_ms + command.for_minutes * 60_000
        else:
            self.mode, self.hold_until_ms = "manual", next_step_at(self.config, now_ms)
        return Outcome(ack=self.ack_fields(), changed=True)

    def configure(self, config: LightConfig, now_ms: int) -> Outcome:
        self.config = config
        if self.mode == "manual":
            self.hold_until_ms = next_step_at(config, now_ms)
        ticked = self.tick(now_ms)
        return Outcome(changed=True, events=ticked.events)

    def tick(self, now_ms: int) -> Outcome:
        """Ends an override or a manual hold that is due, then follows the schedule."""
        mode_changed = False
        if self.mode != "schedule" and self.hold_until_ms is not None and now_ms >= self.hold_until_ms:
            self.mode, self.hold_until_ms, mode_changed = "schedule", None, True
        want = scheduled_level(self.config, now_ms) if self.mode == "schedule" else None
        if want is None or want == self.level or self.fault == "relay_stuck":
            return Outcome(changed=True) if mode_changed else NOTHING
        self._accrue(now_ms)
        self.on, self.brightness = want > 0, want or self.brightness
        return Outcome(changed=True, events=(Emit("schedule_applied", {"detail": f"level {want}"}),))

    def next_deadline(self, now_ms: int) -> int | None:
        if self.mode != "schedule":
            return self.hold_until_ms
        return next_step_at(self.config, now_ms)

    def set_fault(self, fault: str | None, now_ms: int) -> Outcome:
        self._accrue(now_ms)
        old, self.fault = self.fault, fault
        if fault == "lamp_failure":
            return Outcome(events=(Emit("lamp_failure", {"detail": "lamp draws no current"}),))
        if fault == "relay_stuck":
            return Outcome(events=(Emit("relay_fault", {"detail": "relay does not switch"}),))
        if old in LIGHT_FAULTS and fault != old:
            return Outcome(events=(Emit("restored"),))
        return NOTHING

    def sample(self, now_ms: int, rng: random.Random) -> dict[str, object]:
        """Telemetry fields at `now_ms`, with the measurement noise of a cheap metering chip."""
        self._accrue(now_ms)
        watts = self._power() * (1 + rng.gauss(0, 0.01)) if self.level else self._power()
        return {
            "power_w": round(max(watts, 0.0), 2),
            "voltage_v": round(NOMINAL_V + rng.gauss(0, 1.5), 1),
            "energy_wh": round(self.energy_wh, 3),
            "level": self.level,
            "temperature_c": round(28.0 + 0.25 * self.level + rng.gauss(0, 0.3), 1),
        }

    def _power(self) -> float:
        return power_w(self.level, self.rated_w, lamp_ok=self.fault != "lamp_failure")

    def _accrue(self, now_ms: int) -> None:
        # Energy integrates the power held since the last change, so a switch between samples counts right.
        if self._accrued_ms is not None and now_ms > self._accrued_ms:
            self.energy_wh += self._power() * (now_ms - self._accrued_ms) / 3_600_000
        self._accrued_ms = now_ms if self._accrued_ms is None else max(self._accrued_ms, now_ms)


def _refusal(command: LightSet) -> str | None:
    if command.state is None and command.brightness is None:
        return "invalid: give state or brightness"
    if command.state == "ON" and command.brightness == 0:
        return "invalid: brightness 0 with state ON"
    return None
