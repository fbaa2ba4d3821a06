from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from devices.contract import Kind, topic
from hub.domain import Accepted, InventoryEntry
from hub.ingest import decode as decoding
from hub.ingest.decode import MAX_DETAIL_CHARS, MAX_TOPIC_CHARS, ClockBounds, Rejected, decode

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


# -- the key: seq, and the clock bounds at their edges ------------------------------------------------------

DEFAULT = ClockBounds(ahead_ms=300_000, behind_ms=7 * 86_400_000)  # what the hub runs with


def placed(ts: int, bounds: ClockBounds = BOUNDS, offsets: dict[str, int] | None = None, now: int = NOW,
           seq: int = 7) -> Accepted:
    result = decode(T, telemetry(ts=ts, seq=seq), now, INV, bounds, offsets)
    assert isinstance(result, Accepted), result
    return result


def test_the_point_is_keyed_by_the_device_seq() -> None:
    assert placed(NOW - 1000, seq=12345).point.seq == 12345


@pytest.mark.parametrize(
    ("ts", "kept"),
    [
        (NOW + 300_000, True),  # exactly the bound ahead: the device's own time
        (NOW + 299_999, True),
        (NOW + 300_001, False),
        (NOW - 86_400_000, True),  # exactly the bound behind
        (NOW - 86_399_999, True),
        (NOW - 86_400_001, False),
    ],
)
def test_clock_bounds_are_inclusive_to_the_millisecond(ts: int, kept: bool) -> None:
    result = placed(ts)
    assert result.clock_replaced is not kept
    assert (result.point.ts_ms == ts) is kept
    assert ("device_ts" in result.point.fields) is not kept


def test_a_device_six_minutes_behind_keeps_its_own_time_but_not_six_minutes_ahead() -> None:
    behind = placed(NOW - 360_000, DEFAULT)
    assert (behind.point.ts_ms, behind.clock_replaced) == (NOW - 360_000, False)
    ahead = placed(NOW + 360_000, DEFAULT)
    assert ahead.clock_replaced and ahead.point.ts_ms == NOW


def test_a_seconds_clock_is_read_as_seconds_and_its_readings_stay_apart() -> None:
    first_second = NOW // 1000 - 40
    results = [placed(first_second + i // 5, DEFAULT, seq=i) for i in range(200)]  # 5 messages a second
    assert all(r.clock_replaced for r in results)
    assert results[0].point.ts_ms == first_second * 1000
    assert results[0].point.fields["device_ts"] == first_second
    assert len({(r.point.ts_ms, r.point.seq) for r in results}) == 200


def test_a_clock_hours_off_gets_a_per_device_offset_that_keeps_its_spacing() -> None:
    offsets: dict[str, int] = {}
    two_hours = 7_200_000
    results = [placed(NOW + two_hours + 250 * i, DEFAULT, offsets, seq=i) for i in range(20)]
    assert offsets == {"den-1": -two_hours}
    assert [r.point.ts_ms for r in results] == [NOW + 250 * i for i in range(20)]  # not one time per batch
    later = placed(NOW + two_hours + 60_000, DEFAULT, offsets, now=NOW + 60_000, seq=99)  # a later batch
    assert later.point.ts_ms == NOW + 60_000


def test_a_frozen_clock_keeps_one_time_and_distinct_keys() -> None:
    offsets: dict[str, int] = {}
    results = [placed(5, DEFAULT, offsets, now=NOW + i, seq=i) for i in range(50)]
    assert {r.point.ts_ms for r in results} == {NOW}  # offset set once, by the first message
    assert len({(r.point.ts_ms, r.point.seq) for r in results}) == 50


def test_an_offset_that_no_longer_holds_is_set_again() -> None:
    offsets = {"den-1": 1_000_000_000}  # from a clock that has since jumped
    result = placed(17, DEFAULT, offsets)
    assert result.point.ts_ms == NOW and offsets == {"den-1": NOW - 17}


def test_a_redelivered_message_gets_the_same_key_with_the_committed_offset() -> None:
    committed: dict[str, int] = {}
    first = placed(123_456, DEFAULT, committed, seq=3)
    # The hub was killed after the commit, before the ack; it restarts a minute later with the committed
    # offsets (hub/ingest/outbox.py) and the broker sends the message again.
    again = placed(123_456, DEFAULT, dict(committed), now=NOW + 60_000, seq=3)
    assert (again.point.ts_ms, again.point.seq) == (first.point.ts_ms, first.point.seq)


# -- limits: payload size, topic length, detail length ------------------------------------------------------


def padded(size: int) -> bytes:
    body = telemetry()
    return body[:-1] + b" " * (size - len(body)) + b"}"  # JSON whitespace: still the same message


def test_a_payload_of_exactly_16_kib_is_accepted_and_one_byte_more_refused() -> None:
    assert len(padded(16_384)) == 16_384
    assert isinstance(decode(T, padded(16_384), NOW, INV, BOUNDS), Accepted)
    refused = decode(T, padded(16_385), NOW, INV, BOUNDS)
    assert isinstance(refused, Rejected)
    assert (refused.reason, refused.detail) == ("oversized", "payload is 16385 bytes; the limit is 16384")


def test_a_huge_topic_is_refused_before_parsing_with_a_short_detail() -> None:
    huge = "hamlet/v1/s/light/" + "d" * 30_720 + "/telemetry"
    result = decode(huge, telemetry(), NOW, INV, BOUNDS)
    assert isinstance(result, Rejected)
    assert result.reason == "bad_topic"
    assert result.detail == f"topic is {len(huge)} characters; the limit is {MAX_TOPIC_CHARS}"


def test_a_long_bad_id_is_not_repeated_whole_in_the_detail() -> None:
    long_id = "x" * 200  # under the topic limit, far over the id limit
    result = decode(f"hamlet/v1/s/light/{long_id}/telemetry", telemetry(), NOW, INV, BOUNDS)
    assert isinstance(result, Rejected)
    assert result.reason == "bad_topic"
    assert len(result.detail) <= MAX_DETAIL_CHARS
    assert "chars)" in result.detail  # says how much was cut


def test_topics_of_unknown_devices_are_not_cached() -> None:
    before = len(decoding._ROUTES)
    for i in range(500):
        decode(topic("s", "light", f"stranger-{i}", "telemetry"), telemetry(), NOW, INV, BOUNDS)
    assert len(decoding._ROUTES) == before
    decode(T, telemetry(), NOW, INV, BOUNDS)
    assert decoding._ROUTES.get(T) is not None


def test_messages_naming_the_same_fields_share_one_fields_set_and_copies_stay_apart() -> None:
    first, second = (decode(T, telemetry(seq=s), NOW, INV, BOUNDS) for s in (1, 2))
    other = decode(T, telemetry(seq=3, temperature_c=30.5), NOW, INV, BOUNDS)  # one field more
    assert isinstance(first, Accepted) and isinstance(second, Accepted) and isinstance(other, Accepted)
    assert first.message is not None and second.message is not None and other.message is not None
    assert first.message.model_fields_set is second.message.model_fields_set  # one set in memory, not two
    assert other.message.model_fields_set == {*first.message.model_fields_set, "temperature_c"}
    copied = first.message.model_copy(update={"level": 5})
    assert copied.model_fields_set is not first.message.model_fields_set
    assert first.message.model_dump(exclude_unset=True)["seq"] == 1
    assert "temperature_c" not in first.message.model_fields_set


# -- closing what mutation testing found the tests above never looked at (make mutation) -------------------


@pytest.fixture
def cold_caches() -> Iterator[None]:
    """The topic routes and shared field sets empty, as at a hub's start: a warm cache from earlier tests
    would hide what decode does the first time it meets a topic."""
    saved_routes, saved_sets = dict(decoding._ROUTES), dict(decoding._FIELDS_SETS)
    decoding._ROUTES.clear()
    decoding._FIELDS_SETS.clear()
    yield None
    decoding._ROUTES.clear()
    decoding._ROUTES.update(saved_routes)
    decoding._FIELDS_SETS.clear()
    decoding._FIELDS_SETS.update(saved_sets)


@pytest.mark.usefixtures("cold_caches")
def test_a_topic_first_seen_and_then_cached_decodes_the_same() -> None:
    channels = {"telemetry": (telemetry(), "light"),
                "availability": (b"online", "availability"),
                "state": (json.dumps({"ts": NOW, "seq": 1, "state": "ON", "brightness": 80}).encode(), "state")}
    for channel, (payload, measurement) in channels.items():
        where = topic("s", "light", "den-1", channel)
        first, again = (decode(where, payload, NOW, INV, BOUNDS) for _ in range(2))
        assert isinstance(first, Accepted) and isinstance(again, Accepted), (first, again)
        assert first.point == again.point
        assert (first.point.measurement, first.where.channel, first.where.device) == (measurement, channel, "den-1")
        assert decoding._ROUTES[where].where == first.where
    assert isinstance(decode(T, telemetry(), NOW, INV, BOUNDS), Accepted)


@pytest.mark.usefixtures("cold_caches")
def test_rejections_first_seen_name_the_device_and_channel() -> None:
    wrong = decode(topic("s", "light", "loa-1", "telemetry"), telemetry(), NOW, INV, BOUNDS)
    assert wrong == Rejected("wrong_kind", "device 'loa-1' is a speaker, not a light")
    hub_channel = decode(topic("s", "light", "den-1", "set"), b"{}", NOW, INV, BOUNDS)
    assert hub_channel == Rejected("bad_topic", "channel set is not a device -> hub channel")
    assert topic("s", "light", "den-1", "set") not in decoding._ROUTES


def test_the_topic_limit_is_inclusive() -> None:
    stem = "hamlet/v1/s/light/"
    at_limit = stem + "d" * (MAX_TOPIC_CHARS - len(stem))
    parsed = decode(at_limit, telemetry(), NOW, INV, BOUNDS)  # parsed, then refused for what it says
    assert isinstance(parsed, Rejected) and parsed.reason == "bad_topic"
    assert not parsed.detail.startswith("topic is")
    over = decode(at_limit + "d", telemetry(), NOW, INV, BOUNDS)
    assert over == Rejected("bad_topic", f"topic is {MAX_TOPIC_CHARS + 1} characters; the limit is {MAX_TOPIC_CHARS}")


def test_an_invalid_payload_names_its_first_field_and_counts_the_rest() -> None:
    one = decode(T, telemetry(level=101), NOW, INV, BOUNDS)
    assert isinstance(one, Rejected) and one.reason == "invalid"
    assert one.detail.startswith("telemetry.level: ") and "more)" not in one.detail
    two = decode(T, telemetry(level=101, power_w="x"), NOW, INV, BOUNDS)
    assert isinstance(two, Rejected) and two.detail.endswith(" (+1 more)")
    three = decode(T, telemetry(level=101, power_w="x", voltage_v=None), NOW, INV, BOUNDS)
    assert isinstance(three, Rejected) and three.reason == "invalid"
    assert three.detail.endswith(" (+2 more)")


def test_a_bad_availability_word_is_invalid_and_quoted_short() -> None:
    word = "maybe" * 20
    bad = decode(topic("s", "light", "den-1", "availability"), word.encode(), NOW, INV, BOUNDS)
    assert bad == Rejected("invalid", f"availability: expected 'online' or 'offline', got {word[:40]!r}")


def test_availability_takes_its_serial_as_the_last_part_of_its_key() -> None:
    where = topic("s", "light", "den-1", "availability")
    plain = decode(where, b"online", NOW, INV, BOUNDS)
    numbered = decode(where, b"online", NOW, INV, BOUNDS, serial=41)
    assert isinstance(plain, Accepted) and isinstance(numbered, Accepted)
    assert (plain.point.seq, numbered.point.seq) == (0, 41)
