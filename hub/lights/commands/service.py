"""The commands service: sends light commands and follows each target light to a confirmed state.

It publishes `set` (QoS 1) to the lights that are online and keeps the others queued; it follows PUBACKs
through `Delivery.add_done_callback` and the lights' availability, acks and states through the ingest
observer (one subscription for the whole hub). `tick` times out, expires, re-sends to returning lights,
watches overrides end and writes what changed to the store in one batch. Publishing happens outside the
lock: paho calls back into us from its own thread.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from devices.contract import Channel, Kind, topic
from devices.light import LightAck, LightState
from hub.bus.base import Bus, Delivery
from hub.commands.lifecycle import SETTLED, Event, Status
from hub.commands.model import Progress, due, move
from hub.commands.store import CommandStore
from hub.domain import Accepted
from hub.lights.commands.model import CommandRequest, LightCommand
from hub.lights.commands.overrides import OverrideWatch
from hub.lights.targets import resolve_target
from hub.registry import Registry
from hub.timeutil import now_ms

log = logging.getLogger(__name__)
Listener = Callable[[LightCommand], None]
_RESEND_FROM = frozenset({Status.QUEUED, Status.SENT, Status.DELIVERED, Status.TIMED_OUT})


@dataclass(frozen=True, slots=True)
class Who:
    user_id: int | None
    name: str


class CommandService:
    def __init__(self, bus: Bus, registry: Registry, store: CommandStore[LightCommand], *,
                 clock: Callable[[], int] = now_ms, confirm_timeout_ms: int = 30_000,
                 keep_ms: int = 3_600_000) -> None:
        self._bus, self._registry, self._store, self._clock = bus, registry, store, clock
        self._site = registry.site
        self.confirm_timeout_ms, self._keep = confirm_timeout_ms, keep_ms
        self._lock = threading.RLock()
        self._commands: dict[str, LightCommand] = {}
        self._dirty: set[str] = set()
        self._changed: set[str] = set()
        self._states: dict[str, dict[str, object]] = {}  # each light's state as of the message being handled
        self.overrides = OverrideWatch(registry)
        self.listeners: list[Listener] = []  # roll-up changes: the event stream, the audit log

    def load(self) -> None:
        """Take back the commands a previous run left open (queued lights still get them if in time)."""
        for command in self._store.load_open():
            self._commands[command.id] = command
            self.overrides.follow(command)

    def submit(self, request: CommandRequest, who: Who) -> LightCommand:
        """Create the command, save it, send it to the lights that are online; ValueError if no light."""
        now = self._clock()
        label, lights = resolve_target(self._site, request.target)
        command = LightCommand(
            id=f"c{now:x}{secrets.token_hex(4)}", created_ms=now, expires_ms=now + request.expires_in_minutes * 60_000,
            by_user=who.user_id, by_name=who.name, target=request.target, label=label, desired=request.desired,
            lights={d.id: Progress(d.id, d.name, updated_ms=now) for d in lights},
        )
        self._store.save([command])
        with self._lock:
            self._commands[command.id] = command
            online = [d for d in command.lights if self._online(d, now)]
        self._send(command, online, now)
        return command

    def get(self, command_id: str) -> LightCommand | None:
        with self._lock:
            found = self._commands.get(command_id)
        return found if found is not None else self._store.get(command_id)

    def observe(self, batch: list[Accepted]) -> None:
        """Ingest observer: availability brings queued commands out, acks and states confirm them."""
        now = self._clock()
        resend: list[tuple[LightCommand, str]] = []
        with self._lock:
            for item in batch:
                if item.where.kind != Kind.LIGHT:
                    continue
                device, channel = item.where.device, item.where.channel
                if channel == Channel.AVAILABILITY and item.point.fields.get("online") is True:
                    resend.extend((c, device) for c in self._open_for(device, _RESEND_FROM, now))
                elif channel == Channel.ACK and isinstance(item.message, LightAck):
                    self._on_ack(item.message, device, now)
                elif channel == Channel.STATE and isinstance(item.message, LightState):
                    self._on_state(item.message, device, now)
        for command, device in resend:
            self._send(command, [device], now)
        self._announce()

    def tick(self, now: int | None = None) -> None:
        now = self._clock() if now is None else now
        sends: list[tuple[LightCommand, str]] = []
        with self._lock:
            for command in list(self._commands.values()):
                sends.extend((command, d) for d in self._due(command, now))
        for command, device in sends:
            self._send(command, [device], now)
        with self._lock:
            self._finish_and_forget(now)
            dirty = [self._commands[i] for i in self._dirty if i in self._commands]
            self._dirty.clear()
        self.overrides.check(now)
        if dirty:
            self._store.save(dirty)
        self._announce()

    def _due(self, command: LightCommand, now: int) -> Iterable[str]:
        """Time out what got no answer, expire what never left, and pick queued lights that are online."""
        for p in command.lights.values():
            event = due(p, now, command.expires_ms, self.confirm_timeout_ms)
            if event is not None:
                self._move(command, p, event, now, "no confirmation in time" if event == Event.TIMEOUT else None)
            elif p.status == Status.QUEUED and self._online(p.device, now):
                yield p.device

    def _send(self, command: LightCommand, devices: list[str], now: int) -> None:
        if not devices or now >= command.expires_ms:
            return
        payload = command.wire(now).model_dump_json(exclude_none=True).encode()
        for device in devices:
            with self._lock:
                p = command.lights[device]
                if not self._move(command, p, Event.SEND, now):
                    continue
                p.sent_ms, p.attempts = now, p.attempts + 1
            delivery = self._bus.publish(topic(self._site.id, Kind.LIGHT, device, Channel.SET), payload, qos=1)
            delivery.add_done_callback(partial(self._puback, command, device))

    def _puback(self, command: LightCommand, device: str, _delivery: Delivery) -> None:
        with self._lock:
            self._move(command, command.lights[device], Event.PUBACK, self._clock())

    def _on_ack(self, ack: LightAck, device: str, now: int) -> None:
        command = self._commands.get(ack.command_id)
        progress = command.lights.get(device) if command else None
        if command is None or progress is None:
            return  # another hub's, or long forgotten: the registry and the store already have it
        if not ack.ok:
            self._move(command, progress, Event.REFUSE, now, ack.error or "refused")
            return
        progress.acked = True
        state = self._states.get(device)
        self._confirm_if_agrees(command, progress, state if state is not None else self._registry_state(device), now)

    def _on_state(self, state: LightState, device: str, now: int) -> None:
        fields: dict[str, object] = state.model_dump(exclude={"ts", "seq"})
        self._states[device] = fields
        for command in self._commands.values():
            progress = command.lights.get(device)
            if progress is not None and progress.acked and progress.status != Status.CONFIRMED:
                self._confirm_if_agrees(command, progress, fields, now)

    def _confirm_if_agrees(self, command: LightCommand, progress: Progress, state: dict[str, object],
                           now: int) -> None:
        if command.agrees(state):
            self._move(command, progress, Event.CONFIRM, now)
            self.overrides.follow(command)

    def _open_for(self, device: str, statuses: frozenset[Status], now: int) -> list[LightCommand]:
        return [c for c in self._commands.values()
                if device in c.lights and c.lights[device].status in statuses and now < c.expires_ms]

    def _move(self, command: LightCommand, p: Progress, event: Event, now: int, error: str | None = None) -> bool:
        changed = move(p, event, now, error)
        if changed is None:
            return False
        self._dirty.add(command.id)
        if changed:
            self._changed.add(command.id)
        return True

    def _finish_and_forget(self, now: int) -> None:
        for command in list(self._commands.values()):
            settled = all(p.status in SETTLED for p in command.lights.values())
            if settled and command.finished_ms is None:
                command.finished_ms = now
                self._dirty.add(command.id)
                self._changed.add(command.id)
            elif command.finished_ms is not None and now - command.finished_ms > self._keep:
                del self._commands[command.id]  # the store keeps it for GET

    def _announce(self) -> None:
        with self._lock:
            changed = [self._commands[i] for i in self._changed if i in self._commands]
            self._changed.clear()
        for command in changed:
            for listener in self.listeners:
                try:
                    listener(command)
                except Exception:  # a listener's bug must not stop commands
                    log.exception("light command listener failed")

    def _online(self, device: str, now: int) -> bool:
        live = self._registry.get(device)
        return live is not None and live.is_online(now, self._registry.stale_after_ms)

    def _registry_state(self, device: str) -> dict[str, object]:
        live = self._registry.get(device)
        return dict(live.state) if live is not None else {}

