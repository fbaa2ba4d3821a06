"""A street light's behaviour as pure data: commands, schedule, faults, mains power and a power model.

Modes follow TALQ: `schedule` (the light follows its retained config on its own clock), `override` (a set with
`for_minutes`, back to the schedule when it ends) and `manual` (a set without a duration, held until the next
schedule step, as a street-light controller's manual switch is). With OFF the last brightness is kept, so a
plain ON restores it.

Commanded and actual are kept apart, as TALQ does: `on` is what the controller commands (its telemetry `level`
is the output it drives, 0 when commanded off), `relay_closed` is what the relay really does (the `state` it
reports, so the app shows a light on only when it is). They differ only with a stuck relay: told off, the lamp
stays lit and keeps drawing power, which the hub sees as "off but drawing". The controller switches off with
the relay alone and leaves the dimming output where it was; that is why a welded relay keeps the lamp lit.

Faults are announced the way a controller's metering finds them: a dead lamp when it should be lit, a stuck
relay when a switch does not happen; each once, with `restored` when the fault is cleared.
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
    "lamp_failure": "burnt LED module: when on it draws ~0.8 W (standby + idle driver); event lamp_failure",
    "relay_stuck": "the relay no longer switches: told off, the lamp stays lit and drawing power; the set is "
                   "acked ok false, error relay_stuck, with the actual state; event relay_fault",
}


def driver_efficiency(level: int) -> float:
    """An LED driver is most efficient near full load: ~88% dimmed low, ~92% at 100%."""
    return 0.88 + 0.04 * level / 100


def power_w(level: int, rated_w: float, lamp_ok: bool = True) -> float:
    """Input power with the lamp driven at `level` (0-100), before measurement noise: a 40 W LED draws
    ~44 W at 100% and ~5 W at 10%; at 0 (relay open) only the controller's standby draw remains."""
    if level <= 0:
        return STANDBY_W
    if not lamp_ok:
        return STANDBY_W + DEAD_LAMP_W
    return STANDBY_W + rated_w * level / 100 / driver_efficiency(level)


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
    on: bool = False  # commanded
    relay_closed: bool = False  # actual
    brightness: int = 100
    mode: LightMode = "schedule"
    fault: str | None = None
    config: LightConfig | None = None
    energy_wh: float = 0.0
    powered: bool = True  # mains from its power cabinet
    hold_until_ms: int | None = None  # end of an override, or the step that ends a manual set
    _reported: set[str] = field(default_factory=set, repr=False)  # faults already announced
    _accrued_ms: int | None = field(default=None, repr=False)

    @property
    def level(self) -> int:
        """The output the controller commands (telemetry `level`)."""
        return self.brightness if self.on and self.powered else 0

    @property
    def lit_level(self) -> int:
        """The output the lamp really gets: what draws power."""
        return self.brightness if self.relay_closed and self.powered else 0

    def state_fields(self) -> dict[str, object]:
        version = self.config.version if self.config is not None else None
        return {**self.ack_fields(), "mode": self.mode, "config_version": version}

    def ack_fields(self) -> dict[str, object]:
        return {"state": "ON" if self.relay_closed else "OFF", "brightness": self.brightness}

    def apply(self, command: LightSet, now_ms: int) -> Outcome:
        error = _refusal(command)
        if error is not None:
            return Outcome(ok=False, error=error, ack=self.ack_fields())
        self._accrue(now_ms)
        if command.brightness:
            self.brightness = command.brightness
        want_on = command.state == "ON" if command.state is not None else bool(command.brightness)
        if command.for_minutes is not None:
            self.mode, self.hold_until_ms = "override", now_ms + command.for_minutes * 60_000
        else:
            self.mode, self.hold_until_ms = "manual", next_step_at(self.config, now_ms)
        events = self._switch(want_on)
        ok = self.relay_closed == self.on
        return Outcome(ok=ok, error=None if ok else "relay_stuck", ack=self.ack_fields(), changed=True,
                       events=events)

    def configure(self, config: LightConfig, now_ms: int) -> Outcome:
        self.config = config
        if self.mode == "manual":
            self.hold_until_ms = next_step_at(config, now_ms)
        ticked = self.tick(now_ms)
        return Outcome(changed=True, events=ticked.events)  # changed: the state echoes config_version

    def tick(self, now_ms: int) -> Outcome:
        """Ends an override or a manual hold that is due, then follows the schedule."""
        if not self.powered:
            return NOTHING
        mode_changed = False
        if self.mode != "schedule" and self.hold_until_ms is not None and now_ms >= self.hold_until_ms:
            self.mode, self.hold_until_ms, mode_changed = "schedule", None, True
        want = scheduled_level(self.config, now_ms) if self.mode == "schedule" else None
        if want is None or want == self.level:
            return Outcome(changed=True) if mode_changed else NOTHING
        self._accrue(now_ms)
        self.brightness = want or self.brightness
        applied = Emit("schedule_applied", {"detail": f"level {want}"})
        return Outcome(changed=True, events=(applied, *self._switch(want > 0)))

    def next_deadline(self, now_ms: int) -> int | None:
        if not self.powered:
            return None
        if self.mode != "schedule":
            return self.hold_until_ms
        return next_step_at(self.config, now_ms)

    def set_fault(self, fault: str | None, now_ms: int) -> Outcome:
        self._accrue(now_ms)
        old, self.fault = self.fault, fault
        if old == fault:
            return NOTHING
        events: list[Emit] = []
        changed = False
        if old in LIGHT_FAULTS:
            self._reported.discard(old)
            if old == "relay_stuck" and self.relay_closed != self.on:
                self.relay_closed, changed = self.on, True  # the repaired relay follows the command again
            events.append(Emit("restored"))
        events.extend(self._observe())
        return Outcome(changed=changed, events=tuple(events))

    def power_lost(self, now_ms: int) -> Outcome:
        self._accrue(now_ms)
        self.powered = False
        return NOTHING

    def power_restored(self, now_ms: int) -> Outcome:
        """The controller restarts: with a schedule it follows it (a manual hold or override is forgotten),
        without one it restores the state it last commanded, as controllers keep it in flash."""
        self._accrue(now_ms)  # nothing was drawn while the mains was off
        self.powered = True
        if scheduled_level(self.config, now_ms) is not None:
            self.mode, self.hold_until_ms = "schedule", None
            return Outcome(changed=True, events=(*self._switch(self.on), *self.tick(now_ms).events))
        return Outcome(changed=True, events=self._switch(self.on))

    def sample(self, now_ms: int, rng: random.Random) -> dict[str, object]:
        """Telemetry fields at `now_ms`, with the measurement noise of a cheap metering chip."""
        self._accrue(now_ms)
        watts = self._power() * (1 + rng.gauss(0, 0.01)) if self.lit_level else self._power()
        return {
            "power_w": round(max(watts, 0.0), 2),
            "voltage_v": round(NOMINAL_V + rng.gauss(0, 1.5), 1),
            "energy_wh": round(self.energy_wh, 3),
            "level": self.level,
            "temperature_c": round(28.0 + 0.25 * self.lit_level + rng.gauss(0, 0.3), 1),
        }

    def _switch(self, want_on: bool) -> tuple[Emit, ...]:
        self.on = want_on
        if self.fault != "relay_stuck":
            self.relay_closed = want_on
        return self._observe()

    def _observe(self) -> tuple[Emit, ...]:
        """What the controller's metering notices now, each fault once."""
        seen: list[Emit] = []
        if self.fault == "lamp_failure" and self.lit_level and "lamp_failure" not in self._reported:
            self._reported.add("lamp_failure")
            seen.append(Emit("lamp_failure", {"detail": "lamp draws no current"}))
        if self.on == self.relay_closed:
            self._reported.discard("relay_stuck")  # agree again: a later mismatch is news again
        elif "relay_stuck" not in self._reported:
            self._reported.add("relay_stuck")
            stuck = "closed: lamp lit" if self.relay_closed else "open: lamp dark"
            seen.append(Emit("relay_fault", {"detail": f"relay did not switch, stuck {stuck}"}))
        return tuple(seen)

    def _power(self) -> float:
        if not self.powered:
            return 0.0
        return power_w(self.lit_level, self.rated_w, lamp_ok=self.fault != "lamp_failure")

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
