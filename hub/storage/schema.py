"""The one schema of names in the telemetry stores: measurements, tags, the key and the bridge's own fields.

The stores, the bridge and the docs (docs/architecture.md, "Storage") use these names; nothing else spells
them. Field names of the device messages themselves come from the payload models in `devices/`.

The key of a stored reading is (measurement, site, device, group, time, seq): `seq` is the device's
per-message counter, so two readings that share a millisecond never overwrite each other, and a redelivered
message (same device, same ts, same seq) lands on itself. InfluxDB has no key column besides the series and
the time, so there the seq goes into the sub-millisecond digits of a nanosecond timestamp (`time_ns`).
"""

from __future__ import annotations

from typing import Final

from devices.contract import Channel, Kind

# Measurements. Telemetry lands under its kind's name (light, speaker, camera); the other device -> hub
# channels have one measurement each, whatever the kind.
STATE: Final = "state"
COMMAND: Final = "command"
EVENT: Final = "event"
AVAILABILITY: Final = "availability"
HUB: Final = "hub"  # the bridge's own figures
KIND_MEASUREMENTS: Final = tuple(k.value for k in Kind)
MEASUREMENT_OF_CHANNEL: Final = {Channel.STATE: STATE, Channel.ACK: COMMAND, Channel.EVENT: EVENT}

# Tags, in the order line protocol wants them (sorted by key).
TAG_DEVICE: Final = "device"
TAG_GROUP: Final = "group"
TAG_SITE: Final = "site"

# Fields the bridge adds or relies on.
FIELD_SEQ: Final = "seq"  # the device's counter; also the last part of the key
FIELD_DEVICE_TS: Final = "device_ts"  # what a replaced device clock said, kept for the technician
FIELD_ONLINE: Final = "online"  # availability

# seq's share of a nanosecond timestamp: readings in the same millisecond stay apart unless their seqs are
# a million apart, which no device sends within one millisecond.
SEQ_SLOTS: Final = 1_000_000


def time_ns(ts_ms: int, seq: int) -> int:
    """The InfluxDB timestamp of a reading: its millisecond plus seq's sub-millisecond digits."""
    return ts_ms * 1_000_000 + seq % SEQ_SLOTS
