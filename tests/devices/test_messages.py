"""Payload models: strict and closed, so a wrong message is refused with the field it got wrong.

Messages are checked as they arrive, from JSON bytes (`model_validate_json`), which is what these tests do.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from devices.contract import Channel, Kind
from devices.kinds import KINDS, spec
from devices.messages import Command, DeviceMessage

TS = 1_767_225_600_000  # 2026-01-01 00:00 UTC, in ms
MAX_TS = 32_503_680_000_000  # 3000-01-01 in ms: the model's upper bound

EXAMPLES: dict[Kind, dict[Channel, dict[str, Any]]] = {
    Kind.LIGHT: {
        Channel.STATE: {
            "ts": TS,
            "seq": 1,
            "state": "ON",
            "brightness": 80,
            "mode": "schedule",
            "config_version": 3,
        },
        Channel.TELEMETRY: {
            "ts": TS,
            "seq": 2,
            "power_w": 42.5,
            "voltage_v": 229,  # an integer is a valid number
            "energy_wh": 1234.5,
            "level": 80,
            "temperature_c": 31.2,
        },
        Channel.ACK: {"ts": TS, "seq": 3, "command_id": "c-1", "ok": True, "state": "ON", "brightness": 80},
        Channel.EVENT: {"ts": TS, "seq": 4, "event": "lamp_failure", "detail": "Bóng đèn hỏng"},
        Channel.SET: {
            "command_id": "c-1",
            "ts": TS,
            "expires_at": TS + 60_000,
            "state": "ON",
            "brightness": 60,
            "for_minutes": 30,
        },
        Channel.CONFIG: {
            "version": 2,
            "steps": [{"at": TS, "brightness": 100}, {"at": TS + 1, "brightness": 0}],
        },
    },
    Kind.SPEAKER: {
        Channel.STATE: {
            "ts": TS,
            "seq": 1,
            "status": "playing",
            "volume": 70,
            "bulletin_id": "b-1",
            "priority": "emergency",
        },
        Channel.TELEMETRY: {
            "ts": TS,
            "seq": 2,
            "volume": 70,
            "amp_temp_c": 41.0,
            "signal_dbm": -67.5,
            "uptime_s": 86_400,
            "playing": True,
        },
        Channel.ACK: {"ts": TS, "seq": 3, "command_id": "c-2", "ok": True, "bulletin_id": "b-1"},
        Channel.EVENT: {"ts": TS, "seq": 4, "event": "playback_started", "bulletin_id": "b-1"},
        Channel.SET: {
            "command_id": "c-2",
            "ts": TS,
            "action": "play",
            "bulletin_id": "b-1",
            "media_url": "https://hub.local/media/b-1.mp3",
            "priority": "priority",
            "volume": 80,
        },
        Channel.CONFIG: {"version": 1, "default_volume": 60},
    },
    Kind.CAMERA: {
        Channel.STATE: {"ts": TS, "seq": 1, "recording": True, "stream_ok": True},
        Channel.TELEMETRY: {
            "ts": TS,
            "seq": 2,
            "fps": 25.0,
            "bitrate_kbps": 2048.0,
            "uptime_s": 3600,
            "temperature_c": 38.5,
            "storage_free_pct": 64.0,
        },
        Channel.ACK: {"ts": TS, "seq": 3, "command_id": "c-3", "ok": False, "error": "busy"},
        Channel.EVENT: {"ts": TS, "seq": 4, "event": "tamper"},
        Channel.SET: {"command_id": "c-3", "ts": TS, "action": "snapshot"},
        Channel.CONFIG: {"version": 5, "snapshot_interval_s": 30},
    },
}

CASES = [(kind, channel) for kind, channels in EXAMPLES.items() for channel in channels]
DEVICE_CASES = [c for c in CASES if issubclass(spec(c[0]).model(c[1]), DeviceMessage)]
STAMPED_CASES = [c for c in CASES if issubclass(spec(c[0]).model(c[1]), DeviceMessage | Command)]


def model_of(kind: Kind, channel: Channel) -> type[BaseModel]:
    return spec(kind).model(channel)


def check(kind: Kind, channel: Channel, payload: dict[str, Any]) -> BaseModel:
    return model_of(kind, channel).model_validate_json(json.dumps(payload))


def refused(kind: Kind, channel: Channel, payload: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check(kind, channel, payload)
    return caught.value


def with_(kind: Kind, channel: Channel, **changes: Any) -> dict[str, Any]:
    return {**EXAMPLES[kind][channel], **changes}


def without(kind: Kind, channel: Channel, field: str) -> dict[str, Any]:
    payload = dict(EXAMPLES[kind][channel])
    del payload[field]
    return payload


def test_the_examples_cover_every_kind_and_every_json_channel() -> None:
    assert set(EXAMPLES) == set(KINDS) == set(Kind)
    # availability is a bare "online"/"offline" string, not JSON: every other channel has a model.
    for kind in Kind:
        assert set(spec(kind).models) == set(Channel) - {Channel.AVAILABILITY}
        assert set(EXAMPLES[kind]) == set(spec(kind).models)


@pytest.mark.parametrize(("kind", "channel"), CASES)
def test_a_valid_message_is_accepted_and_round_trips(kind: Kind, channel: Channel) -> None:
    message = check(kind, channel, EXAMPLES[kind][channel])
    assert message.model_dump(exclude_unset=True) == EXAMPLES[kind][channel]
    assert type(message).model_validate_json(message.model_dump_json()) == message


@pytest.mark.parametrize(("kind", "channel"), CASES)
def test_an_unknown_field_is_refused_naming_it(kind: Kind, channel: Channel) -> None:
    error = refused(kind, channel, with_(kind, channel, colour="vàng"))
    assert [(e["loc"], e["type"]) for e in error.errors()] == [(("colour",), "extra_forbidden")]
    assert "colour" in str(error)


@pytest.mark.parametrize(("kind", "channel"), STAMPED_CASES)
def test_a_message_without_ts_is_refused(kind: Kind, channel: Channel) -> None:
    error = refused(kind, channel, without(kind, channel, "ts"))
    assert [(e["loc"], e["type"]) for e in error.errors()] == [(("ts",), "missing")]


@pytest.mark.parametrize(("kind", "channel"), DEVICE_CASES)
def test_a_device_message_without_seq_is_refused(kind: Kind, channel: Channel) -> None:
    error = refused(kind, channel, without(kind, channel, "seq"))
    assert [(e["loc"], e["type"]) for e in error.errors()] == [(("seq",), "missing")]


@pytest.mark.parametrize(
    ("kind", "channel", "field", "value"),
    [
        (Kind.LIGHT, Channel.TELEMETRY, "power_w", "3.5"),  # a number in a string is not a number
        (Kind.CAMERA, Channel.TELEMETRY, "fps", "25"),
        (Kind.LIGHT, Channel.STATE, "brightness", 3.5),  # no silent rounding of a float to an int
        (Kind.LIGHT, Channel.STATE, "brightness", 80.0),
        (Kind.LIGHT, Channel.STATE, "brightness", "80"),
        (Kind.LIGHT, Channel.STATE, "brightness", True),
        (Kind.SPEAKER, Channel.TELEMETRY, "uptime_s", 3.5),
        (Kind.SPEAKER, Channel.TELEMETRY, "playing", "true"),
        (Kind.CAMERA, Channel.STATE, "recording", 1),
        (Kind.LIGHT, Channel.STATE, "seq", 3.5),
        (Kind.LIGHT, Channel.STATE, "ts", str(TS)),
        (Kind.LIGHT, Channel.STATE, "state", "on"),  # ON/OFF, as Home Assistant spells them
        (Kind.LIGHT, Channel.ACK, "ok", "yes"),
        (Kind.LIGHT, Channel.SET, "command_id", "c 1"),
        (Kind.SPEAKER, Channel.SET, "media_url", "file:///etc/passwd"),
        (Kind.SPEAKER, Channel.SET, "priority", "urgent"),
        (Kind.CAMERA, Channel.EVENT, "event", "explosion"),
    ],
)
def test_a_wrong_type_or_value_is_refused_naming_the_field(
    kind: Kind, channel: Channel, field: str, value: object
) -> None:
    error = refused(kind, channel, with_(kind, channel, **{field: value}))
    assert [e["loc"] for e in error.errors()] == [(field,)]
    assert field in str(error)


@pytest.mark.parametrize(
    ("kind", "channel", "field"),
    [
        (Kind.LIGHT, Channel.STATE, "brightness"),
        (Kind.LIGHT, Channel.SET, "brightness"),
        (Kind.LIGHT, Channel.ACK, "brightness"),
        (Kind.LIGHT, Channel.TELEMETRY, "level"),
        (Kind.SPEAKER, Channel.STATE, "volume"),
    ],
)
def test_percentages_stop_at_100(kind: Kind, channel: Channel, field: str) -> None:
    for good in (0, 100):
        check(kind, channel, with_(kind, channel, **{field: good}))
    for bad in (101, -1):
        assert [e["loc"] for e in refused(kind, channel, with_(kind, channel, **{field: bad})).errors()] == [(field,)]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinities_are_refused(value: float) -> None:
    # json.dumps writes them as NaN / Infinity, which some device firmwares send too.
    error = refused(Kind.LIGHT, Channel.TELEMETRY, with_(Kind.LIGHT, Channel.TELEMETRY, temperature_c=value))
    assert [e["loc"] for e in error.errors()] == [("temperature_c",)]


def test_brightness_101_is_refused() -> None:
    error = refused(Kind.LIGHT, Channel.SET, with_(Kind.LIGHT, Channel.SET, brightness=101))
    assert error.errors()[0]["type"] == "less_than_equal"


def test_ts_is_in_milliseconds() -> None:
    state = (Kind.LIGHT, Channel.STATE)
    check(*state, with_(*state, ts=MAX_TS))
    for bad in (MAX_TS + 1, TS * 1000, TS * 1_000_000, -1):  # µs, ns, negative
        assert [e["loc"] for e in refused(*state, with_(*state, ts=bad)).errors()] == [("ts",)]


def test_a_ts_in_seconds_passes_the_contract_and_ingest_replaces_it() -> None:
    # A device whose clock speaks seconds is still heard: the contract takes any non-negative ms value and
    # the hub's clock bounds swap an implausible one for the ingest time (tests/hub/test_decode.py).
    message = check(Kind.LIGHT, Channel.STATE, with_(Kind.LIGHT, Channel.STATE, ts=TS // 1000))
    assert message.ts == TS // 1000  # type: ignore[attr-defined]


def test_messages_are_frozen() -> None:
    message = check(Kind.LIGHT, Channel.STATE, EXAMPLES[Kind.LIGHT][Channel.STATE])
    with pytest.raises(ValidationError):
        message.brightness = 10  # type: ignore[attr-defined]


def test_telemetry_fields_are_the_measurements_without_ts_and_seq() -> None:
    assert spec(Kind.LIGHT).telemetry_fields == (
        "power_w",
        "voltage_v",
        "energy_wh",
        "level",
        "temperature_c",
    )
    assert spec(Kind.SPEAKER).telemetry_fields == (
        "volume",
        "amp_temp_c",
        "signal_dbm",
        "uptime_s",
        "playing",
    )
    assert spec(Kind.CAMERA).telemetry_fields == (
        "fps",
        "bitrate_kbps",
        "uptime_s",
        "temperature_c",
        "storage_free_pct",
    )


def test_spec_takes_a_kind_or_its_name() -> None:
    assert spec("light") is spec(Kind.LIGHT)
    assert spec(Kind.CAMERA).kind is Kind.CAMERA
    with pytest.raises(ValueError, match="lamp"):
        spec("lamp")
