"""The lights rig of mqttrig.py on a controlled clock: a real hub on a real mosquitto with simulated lights,
where the hub's lights services and every simulated light read one ControlledClock, so a test moves time
past a sunset or an override's end in one step instead of waiting for it.

The Hub builds its Lights (commands, override watch, schedules, faults) on the wall clock and takes no
clock itself; Lights does (`clock=`). So before the hub starts, `put_lights_on_clock` builds the same
Lights with the clock and the hub's own settings, and moves the ingest observers across. Nothing else
changes: ingest, the registry and the bus keep the wall clock, so the controlled clock starts at the wall
clock's now and is only ever moved a little ahead of it while the hub runs (the ingest accepts device
clocks up to five minutes ahead) -- with the hub stopped, the lights' clocks may go anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devices.site import Site
from hub.lights.service import Lights
from hub.runtime import Hub
from simulators.fleet import Fleet
from simulators.stamp import Clock
from tests.lights.mqttrig import MqttRig, mqtt_rig
from tests.support.mosquitto import Mosquitto

CLOCK_CHECK_S = 0.05  # how often a simulated light re-reads its clock
HUB_TICK_S = 0.1  # how often the hub's lights services tick (timeouts, overrides' end)


def clocked_fleet(mosquitto: Mosquitto, site: Site, clock: Clock) -> Fleet:
    return Fleet(site, mosquitto.host, mosquitto.port, telemetry_interval_s=0.5, keepalive=5, clock=clock,
                 clock_check_s=CLOCK_CHECK_S)


def put_lights_on_clock(hub: Hub, clock: Clock, tick_s: float = HUB_TICK_S) -> None:
    """Replace the hub's (not yet started) Lights with the same services on `clock`."""
    s = hub.settings
    for observer in hub.lights.observers:
        hub.ingest.observers.remove(observer)
    hub.lights = Lights(hub.bus, hub.registry, hub.state, hub.auth.audit, clock=clock, tick_s=tick_s,
                        tariff_vnd_per_kwh=s.lights_tariff_vnd_per_kwh,
                        offline_hold_ms=s.lights_offline_hold_s * 1000)
    hub.ingest.observers.extend(hub.lights.observers)


@contextmanager
def clocked_rig(tmp: Path, mosquitto: Mosquitto, site: Site, clock: Clock, *, hold_s: int = 2,
                fleet: Fleet | None = None) -> Iterator[MqttRig]:
    """As mqtt_rig, with the hub's lights and the simulated lights on `clock`; the hub runs inside the
    block, the lights too unless `fleet` is given (then they outlive it)."""
    with mqtt_rig(tmp, mosquitto, site, hold_s=hold_s, fleet=fleet,
                  prepare=lambda hub: put_lights_on_clock(hub, clock),
                  make_fleet=lambda: clocked_fleet(mosquitto, site, clock)) as rig:
        yield rig
