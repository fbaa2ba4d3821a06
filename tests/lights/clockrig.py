"""The lights rig of mqttrig.py on a controlled clock: a real hub on a real mosquitto with simulated lights,
where the hub and every simulated light read one ControlledClock, so a test moves time past a sunset or an
override's end in one step instead of waiting for it.

The clock goes to the hub's composition root (`build_hub(clock=...)`), with the lights' tick shortened
through their options; nothing is replaced after the hub is built. While the hub runs the clock is only
moved a little ahead of the wall clock (the API's own reads of the time stay on the wall clock); with the
hub stopped, the lights' clocks may go anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from devices.site import Site
from simulators.fleet import Fleet
from simulators.stamp import Clock
from tests.lights.mqttrig import FAST, MqttRig, mqtt_rig
from tests.support.mosquitto import Mosquitto

CLOCK_CHECK_S = 0.05  # how often a simulated light re-reads its clock
HUB_TICK_S = 0.1  # how often the hub's lights services tick (timeouts, overrides' end)


def clocked_fleet(mosquitto: Mosquitto, site: Site, clock: Clock) -> Fleet:
    return Fleet(site, mosquitto.host, mosquitto.port, telemetry_interval_s=0.5, keepalive=5, clock=clock,
                 clock_check_s=CLOCK_CHECK_S)


@contextmanager
def clocked_rig(tmp: Path, mosquitto: Mosquitto, site: Site, clock: Clock, *, hold_s: int = 2,
                fleet: Fleet | None = None) -> Iterator[MqttRig]:
    """As mqtt_rig, with the hub and the simulated lights on `clock`; the hub runs inside the block, the
    lights too unless `fleet` is given (then they outlive it)."""
    with mqtt_rig(tmp, mosquitto, site, hold_s=hold_s, fleet=fleet, clock=clock,
                  lights=replace(FAST, tick_s=HUB_TICK_S),
                  make_fleet=lambda: clocked_fleet(mosquitto, site, clock)) as rig:
        yield rig
