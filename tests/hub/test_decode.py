from __future__ import annotations

import json

import pytest

from devices.contract import Kind, topic
from hub.domain import Accepted, InventoryEntry
from hub.ingest.decode import ClockBounds, Rejected, decode

NOW = 1_795_000_000_000
INV = {"den-1": InventoryEntry(Kind.LIGHT, "ngo-3"), "loa-1": InventoryEntry(Kind.SPEAKER, "vung-bac")}
BOUNDS = ClockBounds(ahead_ms=300_000, behind_ms=86_400_000)
T = topic("s", "light", "den-1", "telemetry")


def telemetry(**over: object) -> bytes:
    body: dict[str, object] = {"ts": NOW - 1000, "seq": 7, "power_w": 40.5, "voltage_v": 221, "energy_wh": 3,
                               "level": 100}
    body.update(over)
    return json.dumps(body).encode()


def test_telemetry_becomes_a_point_at_the_device_time() -> None:
    result = decode(T, telemetry(), NOW, INV, BOUNDS)
    assert isinstance(result, Accepted)
    p = result.point
    assert (p.measurement, p.site, p.device, p.group, p.ts_ms) == ("light", "s", "den-1", "ngo-3", NOW - 1000)
    assert p.fields == {"seq": 7, "power_w": 40.5, "voltage_v": 221.0, "energy_wh": 3.0, "level": 100}
    assert not result.clock_replaced


@pytest.mark.parametrize("ts", [NOW + 301_000, NOW - 86_401_000, 1])
def test_a_clock_out_of_bounds_is_replaced_by_ingest_time(ts: int) -> None:
    result = decode(T, telemetry(ts=ts), NOW, INV, BOUNDS)
    assert isinstance(result, Accepted)
    assert result.clock_replaced
    assert result.point.ts_ms == NOW
    assert result.point.fields["device_ts"] == ts


@pytest.mark.parametrize(
    ("payload", "reason", "names"),
    [
        (b'{"ts": 1,', "malformed", "not valid JSON"),
        (telemetry(power_w="40"), "invalid", "telemetry.power_w"),
        (telemetry(level=101), "invalid", "telemetry.level"),
        (telemetry(colour="red"), "invalid", "telemetry.colour"),
        (json.dumps({"seq": 1, "power_w": 1, "voltage_v": 1, "energy_wh": 1, "level": 1}).encode(), "invalid",
         "telemetry.ts"),
        (b"x" * 16_385, "oversized", "16385 bytes"),
    ],
)
def test_bad_payloads_are_rejected_naming_the_problem(payload: bytes, reason: str, names: str) -> None:
    result = decode(T, payload, NOW, INV, BOUNDS)
    assert isinstance(result, Rejected)
    assert result.reason == reason
    assert names in result.detail


def test_unknown_device_and_wrong_kind_are_rejected() -> None:
    unknown = decode(topic("s", "light", "den-99", "telemetry"), telemetry(), NOW, INV, BOUNDS)
    assert isinstance(unknown, Rejected)
    assert (unknown.reason, "den-99" in unknown.detail) == ("unknown_device", True)
    wrong = decode(topic("s", "light", "loa-1", "telemetry"), telemetry(), NOW, INV, BOUNDS)
    assert isinstance(wrong, Rejected)
    assert wrong.reason == "wrong_kind"


def test_bad_topics_and_hub_channels_are_rejected() -> None:
    for bad in ("hamlet/v1/s/light/den-1", "other/v1/s/light/den-1/state", "hamlet/v1/s/light/den-1/set"):
        result = decode(bad, b"{}", NOW, INV, BOUNDS)
        assert isinstance(result, Rejected)
        assert result.reason == "bad_topic"


def test_availability_and_state_ack_event_land_in_their_measurements() -> None:
    avail = decode(topic("s", "light", "den-1", "availability"), b"offline", NOW, INV, BOUNDS)
    assert isinstance(avail, Accepted)
    assert (avail.point.measurement, avail.point.fields) == ("availability", {"online": False})
    bad = decode(topic("s", "light", "den-1", "availability"), b"maybe", NOW, INV, BOUNDS)
    assert isinstance(bad, Rejected)
    state = json.dumps({"ts": NOW, "seq": 1, "state": "ON", "brightness": 80}).encode()
    ack = json.dumps({"ts": NOW, "seq": 2, "command_id": "c1", "ok": True, "state": "ON"}).encode()
    event = json.dumps({"ts": NOW, "seq": 3, "event": "lamp_failure"}).encode()
    for channel, payload, measurement in (("state", state, "state"), ("ack", ack, "command"),
                                          ("event", event, "event")):
        result = decode(topic("s", "light", "den-1", channel), payload, NOW, INV, BOUNDS)
        assert isinstance(result, Accepted), result
        assert result.point.measurement == measurement
