"""Where commands are kept across restarts: a protocol, an in-memory store for tests, and the JSON form
the SQLite store (hub/lights/state_tables.py) writes."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from hub.lights.command_model import LightCommand, LightProgress, Target
from hub.lights.lifecycle import Status
from hub.lights.rollup import Desired, Label


class CommandStore(Protocol):
    def save(self, commands: Sequence[LightCommand]) -> None:
        """Insert or replace, all in one transaction."""
        ...

    def load_open(self) -> list[LightCommand]:
        """The commands not finished yet."""
        ...

    def get(self, command_id: str) -> LightCommand | None: ...


class MemoryCommandStore:
    def __init__(self) -> None:
        self._rows: dict[str, str] = {}
        self._lock = threading.Lock()

    def save(self, commands: Sequence[LightCommand]) -> None:
        with self._lock:
            self._rows.update({c.id: dumps(c) for c in commands})

    def load_open(self) -> list[LightCommand]:
        with self._lock:
            found = [loads(text) for text in self._rows.values()]
        return [c for c in found if c.finished_ms is None]

    def get(self, command_id: str) -> LightCommand | None:
        with self._lock:
            text = self._rows.get(command_id)
        return loads(text) if text is not None else None


def dumps(command: LightCommand) -> str:
    d = command.desired
    return json.dumps({
        "id": command.id, "created_ms": command.created_ms, "expires_ms": command.expires_ms,
        "by_user": command.by_user, "by_name": command.by_name, "target": command.target.model_dump(),
        "label": list(command.label), "desired": [d.on, d.brightness, d.for_minutes],
        "override_until_ms": command.override_until_ms, "finished_ms": command.finished_ms,
        "lights": [[p.device, p.name, p.status.value, p.updated_ms, p.sent_ms, p.attempts, p.acked, p.error]
                   for p in command.lights.values()],
    }, ensure_ascii=False)


def loads(text: str) -> LightCommand:
    data: dict[str, Any] = json.loads(text)
    lights = {row[0]: LightProgress(row[0], row[1], Status(row[2]), *row[3:]) for row in data["lights"]}
    return LightCommand(
        id=data["id"], created_ms=data["created_ms"], expires_ms=data["expires_ms"], by_user=data["by_user"],
        by_name=data["by_name"], target=Target.model_validate(data["target"]), label=Label(*data["label"]),
        desired=Desired(*data["desired"]), lights=lights, override_until_ms=data["override_until_ms"],
        finished_ms=data["finished_ms"],
    )
