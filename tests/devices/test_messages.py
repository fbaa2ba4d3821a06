"""Payload models: strict and closed, so a wrong message is refused with the field it got wrong.

Messages are checked as they arrive, from JSON bytes (`model_validate_json`), which is what these tests do.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from devices.contract import MAX_PAYLOAD_BYTES, Channel, Kind
from devices.kinds import KINDS, spec
from devices.messages import Command, DeviceMessage
from devices.speaker import MAX_PLAN_ENTRIES, PlanEntry, SpeakerConfig

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
            "occurrence_id": "b-1-0600",
            "priority": "emergency",
            "config_version": 4,
            "plan_entries": 2,
            "media_ready": 2,
        },
        Channel.TELEMETRY: {
            "ts": TS,
            "seq": 2,
            "volume": 70,
            "amp_temp_c": 41.0,
            "signal_dbm": -67.5,
            "uptime_s": 86_400,
            "playing": True,
            "audio_ok": True,
            "power_w": 23.5,
        },
        Channel.ACK: {"ts": TS, "seq": 3, "command_id": "c-2", "ok": True, "bulletin_id": "b-1",
                      "occurrence_id": "b-1-0600"},
        Channel.EVENT: {"ts": TS, "seq": 4, "event": "interrupted", "bulletin_id": "b-1",
                        "occurrence_id": "b-1-0600", "at_ms": TS - 5_000, "position_ms": 12_000,
                        "detail": "by emergency lu-lut"},
        Channel.SET: {
            "command_id": "c-2",
            "ts": TS,
            "action": "play",
            "entry": {
                "occurrence_id": "lu-lut-1",
                "bulletin_id": "lu-lut",
                "start_ms": TS,
                "sha256": "ab" * 32,
                "media_url": "https://hub.local/media/" + "ab" * 32,
                "duration_ms": 30_000,
                "volume": 100,
                "priority": "emergency",
            },
        },
        Channel.CONFIG: {
            "version": 1,
            "default_volume": 60,
            "media_base_url": "http://10.0.0.1:8080/media",
            "entries": [
                {"occurrence_id": "b-1-0600", "bulletin_id": "b-1", "start_ms": TS, "until_ms": TS + 600_000,
                 "sha256": "cd" * 32, "duration_ms": 95_000, "volume": 80, "repeat": 2, "gap_s": 30},
            ],
        },
    },
    Kind.CAMERA: {
        # published by the hub (the health it probed), never by the camera: see devices/camera.py
        Channel.STATE: {"ts": TS, "seq": 1, "health": "degraded", "reasons": "covered,not_recording",
                        "recording": False, "stream_ok": True},
        Channel.TELEMETRY: {
            "ts": TS,
            "seq": 2,
            "fps": 25.0,
            "bitrate_kbps": 2048.0,
            "uptime_s": 3600,
            "temperature_c": 38.5,
            "storage_free_pct": 64.0,
            "recording": True,
            "stream_ok": True,
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
        (Kind.SPEAKER, Channel.CONFIG, "media_base_url", "file:///etc/passwd"),
        (Kind.SPEAKER, Channel.STATE, "priority", "urgent"),
        (Kind.SPEAKER, Channel.EVENT, "event", "playback_started"),
        (Kind.SPEAKER, Channel.EVENT, "sha256", "AB" * 32),
        (Kind.SPEAKER, Channel.TELEMETRY, "audio_ok", "ok"),
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
        "audio_ok",
        "power_w",
    )
    assert spec(Kind.CAMERA).telemetry_fields == (
        "fps",
        "bitrate_kbps",
        "uptime_s",
        "temperature_c",
        "storage_free_pct",
        "recording",
        "stream_ok",
    )


def test_a_cameras_state_is_the_hubs_alone() -> None:
    """One writer per retained topic: the hub publishes a camera's probed health there; a camera's own
    report (what older firmware sent as state) is refused there, naming the missing health."""
    assert spec(Kind.CAMERA).hub_owned == {Channel.STATE}
    assert all(not spec(k).hub_owned for k in (Kind.LIGHT, Kind.SPEAKER))
    with pytest.raises(ValidationError, match="health"):
        spec(Kind.CAMERA).model(Channel.STATE).model_validate({"ts": TS, "seq": 1, "recording": True,
                                                                "stream_ok": True})


def test_spec_takes_a_kind_or_its_name() -> None:
    assert spec("light") is spec(Kind.LIGHT)
    assert spec(Kind.CAMERA).kind is Kind.CAMERA
    with pytest.raises(ValueError, match="lamp"):
        spec("lamp")


# --- the loudspeaker's plan: bounded, unambiguous, playable --------------------------------------------


def plan_entry(n: int, **changes: Any) -> dict[str, Any]:
    return {"occurrence_id": f"ban-tin-{n:03}", "bulletin_id": f"ban-tin-{n % 7}", "start_ms": TS + n * 3_600_000,
            "sha256": f"{n:064x}", "duration_ms": 120_000, "volume": 80, "priority": "normal", **changes}


def speaker_config(entries: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    return {"version": 9, "media_base_url": "http://10.0.0.1:8080/media", "entries": entries, **changes}


def test_a_full_48_hour_plan_fits_the_payload_limit() -> None:
    full = [plan_entry(n, repeat=2, gap_s=30, until_ms=TS + n * 3_600_000 + 600_000) for n in range(MAX_PLAN_ENTRIES)]
    config = check(Kind.SPEAKER, Channel.CONFIG, speaker_config(full))
    assert isinstance(config, SpeakerConfig)
    assert len(config.model_dump_json(exclude_none=True)) <= MAX_PAYLOAD_BYTES
    assert config.media_url(config.entries[1]) == f"http://10.0.0.1:8080/media/{1:064x}"


def test_more_entries_than_48_hours_hold_are_refused() -> None:
    error = refused(Kind.SPEAKER, Channel.CONFIG, speaker_config([plan_entry(n) for n in range(MAX_PLAN_ENTRIES + 1)]))
    assert [(e["loc"], e["type"]) for e in error.errors()] == [(("entries",), "too_long")]


def test_a_config_over_16_kib_is_refused_naming_the_limit() -> None:
    long_url = "http://10.0.0.1:8080/" + "m" * 1_900 + "/"
    entries = [plan_entry(n, media_url=long_url + f"{n:064x}") for n in range(10)]
    error = refused(Kind.SPEAKER, Channel.CONFIG, speaker_config(entries))
    assert "16384-byte limit" in str(error)


def test_an_occurrence_twice_in_a_plan_is_refused() -> None:
    twice = [plan_entry(1), plan_entry(2, occurrence_id="ban-tin-001")]
    error = refused(Kind.SPEAKER, Channel.CONFIG, speaker_config(twice))
    assert "occurrence_id 'ban-tin-001' appears twice" in str(error)


def test_an_entry_needs_a_media_url_or_the_base_to_build_it() -> None:
    error = refused(Kind.SPEAKER, Channel.CONFIG, speaker_config([plan_entry(1)], media_base_url=None))
    assert "entries[0]: no media_url" in str(error)
    own = check(Kind.SPEAKER, Channel.CONFIG, speaker_config([plan_entry(1, media_url="http://cdn.local/a.mp3")],
                                                             media_base_url=None))
    assert isinstance(own, SpeakerConfig) and own.media_url(own.entries[0]) == "http://cdn.local/a.mp3"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"until_ms": TS - 1}, "until_ms"),  # a window that ends before it starts
        ({"sha256": "z" * 64}, "sha256"),
        ({"sha256": "ab" * 31}, "sha256"),
        ({"duration_ms": 0}, "duration_ms"),
        ({"duration_ms": 15 * 60_000 + 1}, "duration_ms"),
        ({"repeat": 11}, "repeat"),
        ({"gap_s": 601}, "gap_s"),
        ({"priority": "urgent"}, "priority"),
        ({"occurrence_id": "a/b"}, "occurrence_id"),
    ],
)
def test_a_wrong_plan_entry_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    error = refused(Kind.SPEAKER, Channel.CONFIG, speaker_config([plan_entry(0, start_ms=TS, **changes)]))
    assert field in str(error)


def test_an_entry_window_defaults_to_ten_minutes_and_covers_every_repetition() -> None:
    entry = PlanEntry.model_validate(plan_entry(0, start_ms=TS, repeat=2, gap_s=30))
    assert entry.latest_start_ms == TS + 600_000
    assert entry.length_ms == 2 * 120_000 + 30_000


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"action": "play", "entry": None}, "play needs an entry"),
        ({"action": "play", "entry": plan_entry(0)}, "play needs an entry with its media_url"),
        ({"action": "volume", "entry": None}, "volume needs volume"),
    ],
)
def test_a_set_without_what_its_action_needs_is_refused(changes: dict[str, Any], message: str) -> None:
    assert message in str(refused(Kind.SPEAKER, Channel.SET, with_(Kind.SPEAKER, Channel.SET, **changes)))
