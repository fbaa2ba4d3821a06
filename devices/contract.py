"""MQTT topic grammar v1: the one place topic strings are built and parsed.

    hamlet/v1/{site}/{kind}/{device}/{channel}
    hamlet/v1/{site}/hub/availability

Ids are refused when they could inject a level (`/`) or a wildcard (`+`, `#`), so a device id taken from
a request or an inventory file can never widen a subscription or reach another device's topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

PREFIX: Final = "hamlet/v1"
ID_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,31}$"
MAX_PAYLOAD_BYTES: Final = 16 * 1024
ONLINE: Final = "online"
OFFLINE: Final = "offline"

_ID_RE = re.compile(ID_PATTERN)


class Kind(StrEnum):
    LIGHT = "light"
    SPEAKER = "speaker"
    CAMERA = "camera"


class Channel(StrEnum):
    # device -> hub
    AVAILABILITY = "availability"
    STATE = "state"
    TELEMETRY = "telemetry"
    ACK = "ack"
    EVENT = "event"
    # hub -> device
    SET = "set"
    CONFIG = "config"


DEVICE_CHANNELS: Final = (Channel.AVAILABILITY, Channel.STATE, Channel.TELEMETRY, Channel.ACK, Channel.EVENT)
HUB_CHANNELS: Final = (Channel.SET, Channel.CONFIG)
HUB_KIND: Final = "hub"


class TopicError(ValueError):
    """A topic or an id that does not follow the contract; the message names what is wrong."""


def check_id(value: str, what: str = "id") -> str:
    """Return `value` if it is a valid site or device id, else raise a TopicError naming `what`."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise TopicError(
            f"{what} {value!r} is not a valid id: use 1-32 lowercase letters, digits or '-', "
            "starting with a letter or digit (no '/', '+', '#')"
        )
    return value


@dataclass(frozen=True, slots=True)
class DeviceTopic:
    site: str
    kind: Kind
    device: str
    channel: Channel

    def __str__(self) -> str:
        return f"{PREFIX}/{self.site}/{self.kind}/{self.device}/{self.channel}"


def topic(site: str, kind: Kind | str, device: str, channel: Channel | str) -> str:
    """Build a device topic, validating every part."""
    return str(
        DeviceTopic(check_id(site, "site"), _kind(kind), check_id(device, "device"), _channel(channel))
    )


def hub_availability_topic(site: str) -> str:
    return f"{PREFIX}/{check_id(site, 'site')}/{HUB_KIND}/availability"


def parse_topic(value: str) -> DeviceTopic:
    """Parse a device topic; raise TopicError naming the part that is wrong."""
    parts = value.split("/")
    if len(parts) != 6 or f"{parts[0]}/{parts[1]}" != PREFIX:
        raise TopicError(f"topic {value!r} is not of the form {PREFIX}/{{site}}/{{kind}}/{{device}}/{{channel}}")
    _, _, site, kind, device, channel = parts
    return DeviceTopic(check_id(site, "site"), _kind(kind), check_id(device, "device"), _channel(channel))


def ingest_filters(site: str) -> list[str]:
    """The subscriptions the hub makes: every device -> hub channel of every device of the site."""
    check_id(site, "site")
    return [f"{PREFIX}/{site}/+/+/{channel}" for channel in DEVICE_CHANNELS]


def device_filters(site: str, kind: Kind | str, device: str) -> list[str]:
    """The subscriptions a device makes: its own hub -> device channels."""
    return [topic(site, kind, device, channel) for channel in HUB_CHANNELS]


def _kind(value: Kind | str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise TopicError(f"kind {value!r} is unknown: expected one of {', '.join(k.value for k in Kind)}") from None


def _channel(value: Channel | str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        known = ", ".join(c.value for c in Channel)
        raise TopicError(f"channel {value!r} is unknown: expected one of {known}") from None
