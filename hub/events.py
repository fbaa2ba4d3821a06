"""Typed domain events and the one in-process hub that carries them.

A service says what happened (`what`, the name the phone app dispatches on), whom it concerns (the roles
that may see it) and a JSON-ready body; it never knows who listens. The live feed (hub/live) subscribes once
and fans events out to browsers; the API layer does not listen into service internals.

`publish` calls each subscriber on the publisher's thread, so a subscriber must only hand over (a lock and a
dict, `call_soon_threadsafe`) and never wait. A subscriber that raises is logged and the others still hear
the event: one listener's bug must not stop a service's worker.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hub.auth.principal import ANY_ROLE, Role

log = logging.getLogger(__name__)

EVERYONE: Final = frozenset(ANY_ROLE)
OPERATORS: Final = frozenset({Role.HEAD, Role.TECHNICIAN})

_WHAT = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # an SSE event name and a JS table key: keep it plain

Subscriber = Callable[["DomainEvent"], None]


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One thing a service wants the people concerned to know, now.

    `key` names the thing the event is about ("command:c1", "fault:7"): of several events with one key that
    the feed has not sent yet, only the latest goes out. `None` means every event counts on its own.
    """

    what: str
    roles: frozenset[Role]
    body: object  # JSON-ready: dicts, lists, str, int, float, bool, None
    key: str | None = None

    def __post_init__(self) -> None:
        if not _WHAT.fullmatch(self.what):
            raise ValueError(f"event name {self.what!r}: use lower_snake_case, a letter first, at most 40 characters")
        if not self.roles:
            raise ValueError(f"event {self.what!r} concerns nobody: give at least one role (EVERYONE, OPERATORS)")

    def concerns(self, role: Role) -> bool:
        return role in self.roles


class EventHub:
    """Publish/subscribe within the process. Thread-safe; subscribers are called in subscription order."""

    def __init__(self) -> None:
        self._subscribers: tuple[Subscriber, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Start hearing every event; returns the function that stops it."""
        with self._lock:
            self._subscribers = (*self._subscribers, subscriber)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)

        return unsubscribe

    @property
    def listened(self) -> bool:
        """Whether anyone listens: a publisher may skip building a costly body when nobody does."""
        return bool(self._subscribers)

    def publish(self, event: DomainEvent) -> None:
        for subscriber in self._subscribers:  # a tuple swapped whole: no lock needed to read it
            try:
                subscriber(event)
            except Exception:
                log.exception("event subscriber failed on %s", event.what)
