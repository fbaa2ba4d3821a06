"""Registry of device kinds: which model carries each channel. A new kind is one module plus one entry."""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel

from devices import camera, light, speaker
from devices.contract import Channel, Kind
from devices.messages import DeviceMessage


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: Kind
    models: dict[Channel, type[BaseModel]]
    # Device -> hub channels whose retained message the hub publishes itself (a camera's state: the health it
    # probed). The hub is their one writer: the device never publishes there (its module's HUB_OWNED_CHANNELS).
    hub_owned: frozenset[Channel] = frozenset()

    def model(self, channel: Channel) -> type[BaseModel]:
        return self.models[channel]

    @property
    def telemetry_fields(self) -> tuple[str, ...]:
        """Measurement fields of the kind: the telemetry model's fields other than ts and seq."""
        model = self.models[Channel.TELEMETRY]
        return tuple(name for name in model.model_fields if name not in DeviceMessage.model_fields)


def _spec(kind: Kind, module: types.ModuleType, prefix: str) -> KindSpec:
    names = {
        Channel.STATE: "State",
        Channel.TELEMETRY: "Telemetry",
        Channel.ACK: "Ack",
        Channel.EVENT: "Event",
        Channel.SET: "Set",
        Channel.CONFIG: "Config",
    }
    models = {channel: getattr(module, prefix + name) for channel, name in names.items()}
    return KindSpec(kind, models, frozenset(getattr(module, "HUB_OWNED_CHANNELS", ())))


KINDS: Final[dict[Kind, KindSpec]] = {
    Kind.LIGHT: _spec(Kind.LIGHT, light, "Light"),
    Kind.SPEAKER: _spec(Kind.SPEAKER, speaker, "Speaker"),
    Kind.CAMERA: _spec(Kind.CAMERA, camera, "Camera"),
}


# (kind, channel) pairs the hub writes itself, for the ingest's hot path (hub/registry.py).
HUB_OWNED: Final = frozenset((k.kind, c) for k in KINDS.values() for c in k.hub_owned)


def spec(kind: Kind | str) -> KindSpec:
    return KINDS[Kind(kind)]
