"""A virtual device: the contract's messages around a kind's pure logic, over its own DeviceLink.

The kind's behaviour lives in pure logic classes (light_logic, speaker_logic, camera_logic) that return
`Outcome`s; this base turns them into contract messages and adds what every kind shares: retained state,
periodic telemetry, command de-duplication and expiry, the ack faults, simulated outages and power cuts.

Time: every decision (schedule steps, overrides, command expiry, `ts`) reads the device's own clock, a
callable returning ms since the epoch (`clock=`, the wall clock by default), so a test can run a device on a
controlled clock. Timers still wait in real time, so a device re-reads its clock at least every
`clock_check_s`: a clock moved forward (a test's, or NTP stepping a real one) is noticed that soon.
"""

from __future__ import annotations

import json
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from pydantic import BaseModel, ValidationError

from devices.contract import Channel, Kind, check_id, device_filters, topic
from devices.kinds import spec
from devices.messages import Command
from simulators.commands import NOTHING, CommandLog, Outcome
from simulators.link import DeviceLink
from simulators.netloop import NetLoop
from simulators.stamp import Clock, Stamper, now_ms

log = logging.getLogger(__name__)

COMMON_FAULTS: Final = {
    "no_ack": "applies commands but never acks them",
    "slow_ack": "acks commands only after slow_ack_s (5 s by default)",
}


class SimDevice(ABC):
    kind: ClassVar[Kind]
    kind_faults: ClassVar[Mapping[str, str]] = {}

    def __init__(self, site: str, device: str, net: NetLoop, host: str, port: int, *,
                 telemetry_interval_s: float = 10.0, seq_start: int = 0, keepalive: int = 30,
                 slow_ack_s: float = 5.0, clean_session: bool = False, clock: Clock = now_ms,
                 clock_check_s: float = 1.0) -> None:
        self.site, self.device_id = check_id(site, "site"), check_id(device, "device")
        self.telemetry_interval_s, self.slow_ack_s = telemetry_interval_s, slow_ack_s
        self.clock, self.clock_check_s = clock, clock_check_s
        self.stamper = Stamper(seq_start, clock)
        self.commands = CommandLog()
        self.rng = random.Random(f"{site}/{device}")  # reproducible noise per device
        self._models = spec(self.kind).models
        self._owns_state = Channel.STATE not in spec(self.kind).hub_owned  # cameras: the hub's, not theirs
        self._fault: str | None = None
        self._powered, self._net_down = True, False  # the link is up only while both allow it
        self._set_topic, self._config_topic = device_filters(site, self.kind, device)
        self.link = DeviceLink(net, f"sim-{site}-{device}", host, port,
                               availability=self.topic(Channel.AVAILABILITY),
                               subscriptions=[self._set_topic, self._config_topic],
                               keepalive=keepalive, clean_session=clean_session)
        self.link.on_online, self.link.on_message = self._on_online, self._on_message
        self.link.on_offline = lambda: self.link.cancel("telemetry")
        self.connected, self.closed = self.link.connected, self.link.closed

    @classmethod
    def faults(cls) -> dict[str, str]:
        return {**COMMON_FAULTS, **cls.kind_faults}

    def topic(self, channel: Channel) -> str:
        return topic(self.site, self.kind, self.device_id, channel)

    # --- controls: thread-safe ---------------------------------------------------------------------
    @property
    def fault(self) -> str | None:
        return self._fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        if value is not None and value not in self.faults():
            known = ", ".join(self.faults())
            raise ValueError(f"fault {value!r} is unknown for a {self.kind}: expected one of {known}")
        self._fault = value
        kind_fault = value if value in self.kind_faults else None
        self.link.net.call_soon(self._step, lambda now: self._set_fault(kind_fault, now))

    def start(self) -> None:
        self.link.start()

    @property
    def powered(self) -> bool:
        return self._powered

    def go_offline(self) -> None:
        """A network loss: the connection drops (the broker publishes the will), the device keeps running."""
        self.link.net.call_soon(self._set_net_down, True)

    def come_online(self) -> None:
        self.link.net.call_soon(self._set_net_down, False)

    def power_off(self) -> None:
        """Mains lost (its power cabinet, a reboot): the device stops and drops off the network at once."""
        self.link.net.call_soon(self._set_power, False)

    def power_on(self) -> None:
        self.link.net.call_soon(self._set_power, True)

    def stop(self) -> None:
        self.link.stop()

    # --- the kind's logic: loop thread -------------------------------------------------------------
    @abstractmethod
    def state_fields(self) -> dict[str, object]: ...

    @abstractmethod
    def telemetry_fields(self, now: int) -> dict[str, object]: ...

    @abstractmethod
    def apply(self, command: Any, now: int) -> Outcome: ...

    @abstractmethod
    def configure(self, config: Any, now: int) -> Outcome: ...

    @abstractmethod
    def tick(self, now: int) -> Outcome: ...

    @abstractmethod
    def next_deadline(self, now: int) -> int | None: ...

    @abstractmethod
    def _set_fault(self, fault: str | None, now: int) -> Outcome: ...

    # Optional hooks, loop thread; each returns what to publish (nothing by default).
    def on_connected(self, now: int) -> Outcome:
        """Right after the state on every (re)connect: e.g. a camera announces the reboot it just did."""
        return NOTHING

    def power_lost(self, now: int) -> Outcome:
        return NOTHING

    def power_restored(self, now: int) -> Outcome:
        return NOTHING

    # --- messages: loop thread ---------------------------------------------------------------------
    def _on_online(self) -> None:
        if self._owns_state:
            self._publish(Channel.STATE, self.state_fields(), retain=True)
        self._emit(self.on_connected(self.clock()))
        # Telemetry at once, so the hub has a recent reading of every device seconds after it connects; then
        # a random phase spreads a fleet's readings over the interval instead of sending them in bursts.
        self._publish(Channel.TELEMETRY, self.telemetry_fields(self.clock()))
        self.link.later("telemetry", self.rng.uniform(0, self.telemetry_interval_s), self._telemetry)
        self._reschedule_tick()

    def _set_net_down(self, down: bool) -> None:
        self._net_down = down
        self._sync_link()

    def _set_power(self, on: bool) -> None:
        if on == self._powered:
            return
        self._powered = on
        # Publishing while the power goes is pointless (the link drops right after); the state of a device
        # that comes back is published on its reconnect.
        self._emit(self.power_restored(self.clock()) if on else self.power_lost(self.clock()))
        self._sync_link()
        self._reschedule_tick()

    def _sync_link(self) -> None:
        if self._powered and not self._net_down:
            self.link.rejoin()
        else:
            self.link.drop()

    def _on_message(self, topic: str, payload: bytes) -> None:
        if topic == self._set_topic:
            self._on_set(payload)
        elif topic == self._config_topic:
            self._on_config(payload)

    def _on_set(self, payload: bytes) -> None:
        try:
            command = self._models[Channel.SET].model_validate_json(payload)
        except ValidationError as err:
            self._refuse(payload, err)
            return
        assert isinstance(command, Command)
        outcome = self.commands.process(command, self.clock(), self.apply)
        self._emit(outcome)
        self._reschedule_tick()
        ack = {"command_id": command.command_id, "ok": outcome.ok, "error": outcome.error, **outcome.ack}
        if self._fault == "slow_ack":
            self.link.net.call_later(self.slow_ack_s, lambda: self._publish(Channel.ACK, ack))
        elif self._fault != "no_ack":
            self._publish(Channel.ACK, ack)

    def _refuse(self, payload: bytes, err: ValidationError) -> None:
        # An invalid set that still names a usable command id gets a negative ack naming the field, so the
        # hub learns why instead of waiting for a timeout.
        try:
            command_id = json.loads(payload).get("command_id")
            error = f"invalid: {err}"[:500]
            self._publish(Channel.ACK, {"command_id": command_id, "ok": False, "error": error})
        except (ValueError, AttributeError, ValidationError):
            log.warning("%s: unusable set payload dropped: %s", self.device_id, err)

    def _on_config(self, payload: bytes) -> None:
        try:
            config = self._models[Channel.CONFIG].model_validate_json(payload)
        except ValidationError as err:
            log.warning("%s: invalid config ignored: %s", self.device_id, err)
            return
        self._step(lambda now: self.configure(config, now))

    def _step(self, step: Callable[[int], Outcome]) -> None:
        self._emit(step(self.clock()))
        self._reschedule_tick()

    def _emit(self, outcome: Outcome) -> None:
        for event in outcome.events:
            self._publish(Channel.EVENT, {"event": event.event, **event.fields})
        if outcome.changed and self._owns_state:
            self._publish(Channel.STATE, self.state_fields(), retain=True)
        elif outcome.changed:  # the hub owns this kind's state (a camera's): the change rides on telemetry now
            self._publish(Channel.TELEMETRY, self.telemetry_fields(self.clock()))

    def _telemetry(self) -> None:
        self._publish(Channel.TELEMETRY, self.telemetry_fields(self.clock()))
        self.link.later("telemetry", self.telemetry_interval_s, self._telemetry)

    def _reschedule_tick(self) -> None:
        now = self.clock()
        deadline = self.next_deadline(now) if self._powered else None
        if deadline is None:
            self.link.cancel("tick")
        else:
            # Never wait longer than clock_check_s: the device clock may move faster than the timer's.
            delay_s = min(max(deadline - now, 0) / 1000, self.clock_check_s)
            self.link.later("tick", delay_s, lambda: self._step(self.tick))

    def _publish(self, channel: Channel, fields: Mapping[str, object], retain: bool = False) -> None:
        # Nothing is queued while disconnected: a backlog replayed after reconnecting would land after the
        # fresh state published on connect and overwrite it. The logic keeps running (a light keeps its
        # schedule on its own); the state is republished when the link comes back.
        if not self.link.usable:
            return
        ts, seq = self.stamper.next()
        message: BaseModel = self._models[channel](ts=ts, seq=seq, **fields)
        self.link.publish(self.topic(channel), message.model_dump_json(), retain=retain)
