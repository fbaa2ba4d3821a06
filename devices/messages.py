"""Shared pieces of every payload model: strict, closed models with `ts` and `seq` on device messages."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from devices.contract import ID_PATTERN

# ms since the epoch, UTC. The upper bound refuses µs/ns clocks; a clock in seconds (or just wrong) passes
# here and the hub replaces it with the ingest time (hub/ingest/decode.py, ClockBounds), so nothing is lost.
TimestampMs = Annotated[int, Field(ge=0, le=32_503_680_000_000)]
Seq = Annotated[int, Field(ge=0, le=2**63 - 1)]
Percent = Annotated[int, Field(ge=0, le=100)]
DeviceId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Command ids are chosen by the hub; devices de-duplicate on them.
CommandId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ShortText = Annotated[str, StringConstraints(max_length=500)]
Priority = Literal["normal", "priority", "emergency"]


class Model(BaseModel):
    """Closed, strict model: unknown fields and silent coercions are errors that name the field."""

    # NaN and infinities are refused: no telemetry store can keep them, and a stuck batch would block ingest.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class DeviceMessage(Model):
    """Every device -> hub JSON message carries the device clock and a per-device counter."""

    ts: TimestampMs
    seq: Seq


class Command(Model):
    """Every hub -> device command carries an id the device de-duplicates on and may carry a deadline."""

    command_id: CommandId
    ts: TimestampMs
    expires_at: TimestampMs | None = None


class Ack(DeviceMessage):
    """The device's answer to a command: `ok` false with an `error` when it could not carry it out."""

    command_id: CommandId
    ok: bool
    error: ShortText | None = None
