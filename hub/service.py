"""The shape every domain service has (lights, broadcasts, cameras), and what the composition root gives it.

A service is built by the runtime from a `ServiceSpec` (its name, its migrations, and a `build` function that
takes a `ServiceContext`), started in the order of the runtime's list and stopped in reverse. It gets the
device messages it `wants` from the router, in batches, on its own named worker thread ("svc-<name>"), which
also calls its `tick` every `tick_s` seconds: one thread per service, so its handler and its tick never run
at the same time. It tells people what happened by publishing `DomainEvent`s to `ctx.events`.

Specs and migrations are static (known before the database opens and before the app is built); the
service object is made once per hub. See /tmp/coord/service-shape.md and docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from devices.contract import Channel, Kind
from devices.site import Site
from hub.auth.audit import AuditLog
from hub.bus.base import Bus
from hub.domain import Accepted
from hub.events import EventHub
from hub.registry import Registry
from hub.settings import Settings
from hub.statedb import Migration, StateDB
from hub.storage.base import Point

Route = tuple[Kind, Channel]
Batch = Sequence[Accepted]  # committed device messages, in arrival order, only of the routes a service wants
Clock = Callable[[], int]  # epoch milliseconds

OptionsT = TypeVar("OptionsT")


class Service(Protocol):
    name: str  # names its worker thread ("svc-<name>"), its metrics label and its log lines
    wants: frozenset[Route]  # (kind, channel) pairs routed to `handle`; empty: no device messages
    tick_s: float | None  # how often the worker calls `tick`; None: never

    def start(self) -> None:
        """Load what it keeps (from its tables), before any message or tick reaches it."""

    def stop(self) -> None:
        """Save what it holds. Called after its worker has handled every queued batch and stopped."""

    def handle(self, batch: Batch) -> None:
        """Take a batch of committed messages. Coalesce: per device the latest state, the sum of energy."""

    def tick(self) -> None:
        """Timers: timeouts, expiry, schedules. Reads the service's own clock."""

    def resync(self) -> None:
        """Some of its messages were dropped (its queue was full): catch up from the registry's live state."""


class ServiceBase:
    """Defaults for the optional parts, for services that need no messages, no tick or no resync."""

    name: str = "service"
    wants: frozenset[Route] = frozenset()
    tick_s: float | None = None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def handle(self, batch: Batch) -> None:
        return None

    def tick(self) -> None:
        return None

    def resync(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What the composition root hands a service's `build`: narrow, shared parts, never the Hub itself."""

    settings: Settings
    site: Site
    clock: Clock
    bus: Bus  # publish commands and configs; never subscribe to device topics (the router delivers those)
    registry: Registry  # read-only for services: live state, for resync and for lookups
    state: StateDB  # data_dir/hub.sqlite3, with every service's migrations applied
    audit: AuditLog
    events: EventHub
    # Readings a service measures itself (a camera probe), through the durable telemetry path: committed to
    # the outbox and written to the store like device points. Blocking (one SQLite commit): batch them.
    record: Callable[[Sequence[Point]], None]
    options: Mapping[str, object] = field(default_factory=dict)  # per service name, from tests or the CLI

    def options_for(self, name: str, default: OptionsT) -> OptionsT:
        """The options given for service `name`, or `default`; a wrong type is a clear error, not a surprise."""
        given = self.options.get(name, default)
        if not isinstance(given, type(default)):
            raise TypeError(f"options for service {name!r}: expected {type(default).__name__}, "
                            f"got {type(given).__name__}")
        return given


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A service as the runtime lists it. Migration ids start with the name ("cameras-001-checks")."""

    name: str
    build: Callable[[ServiceContext], Service]
    migrations: tuple[Migration, ...] = ()

    def __post_init__(self) -> None:
        stray = [m.id for m in self.migrations if not m.id.startswith(f"{self.name}-")]
        if stray:
            raise ValueError(f"service {self.name!r}: migration ids must start with {self.name + '-'!r}: {stray}")


# --- helpers for coalescing a batch ---------------------------------------------------------------


def latest(batch: Iterable[Accepted], channel: Channel) -> dict[str, Accepted]:
    """Per device, the last message of `channel` in the batch (a state superseded within it is moot)."""
    return {item.where.device: item for item in batch if item.where.channel == channel}


def of_channel(batch: Iterable[Accepted], channel: Channel) -> list[Accepted]:
    """Every message of `channel`, in order (acks and events: each one counts)."""
    return [item for item in batch if item.where.channel == channel]
