"""The MQTT topic grammar: built and parsed in one place, ids that could widen a subscription refused."""

from __future__ import annotations

import itertools

import pytest

from devices.contract import (
    DEVICE_CHANNELS,
    HUB_CHANNELS,
    ID_PATTERN,
    PREFIX,
    Channel,
    DeviceTopic,
    Kind,
    TopicError,
    check_id,
    device_filters,
    hub_availability_topic,
    ingest_filters,
    parse_topic,
    topic,
)

BAD_IDS = ["den/7", "den+7", "den#7", "Den-7", "", "a" * 33, "-den", "den 7", "đèn-7", "den_7"]


@pytest.mark.parametrize(("kind", "channel"), list(itertools.product(Kind, Channel)))
def test_every_kind_and_channel_round_trips(kind: Kind, channel: Channel) -> None:
    built = topic("son-vi-khu-10", kind, "den-ngo3-07", channel)
    assert built == f"hamlet/v1/son-vi-khu-10/{kind.value}/den-ngo3-07/{channel.value}"
    assert parse_topic(built) == DeviceTopic("son-vi-khu-10", kind, "den-ngo3-07", channel)
    assert str(parse_topic(built)) == built


def test_plain_strings_are_accepted_for_kind_and_channel() -> None:
    assert topic("s1", "camera", "cam-1", "state") == "hamlet/v1/s1/camera/cam-1/state"


def test_ids_at_the_edges_of_the_grammar_are_accepted() -> None:
    for good in ["a", "0", "a" * 32, "9-a-", "den-ngo3-07"]:
        assert check_id(good) == good
        assert parse_topic(topic(good, Kind.LIGHT, good, Channel.SET)).device == good


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_device_id_is_refused_naming_the_device(bad: str) -> None:
    with pytest.raises(TopicError, match=r"^device .* is not a valid id"):
        topic("son-vi-khu-10", Kind.LIGHT, bad, Channel.STATE)


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_site_id_is_refused_naming_the_site(bad: str) -> None:
    with pytest.raises(TopicError, match=r"^site .* is not a valid id"):
        topic(bad, Kind.LIGHT, "den-1", Channel.STATE)
    with pytest.raises(TopicError, match=r"^site "):
        hub_availability_topic(bad)
    with pytest.raises(TopicError, match=r"^site "):
        ingest_filters(bad)


@pytest.mark.parametrize("bad", ["den+7", "den#7", "Den-7", "a" * 33])
def test_a_bad_id_in_a_received_topic_is_refused(bad: str) -> None:
    with pytest.raises(TopicError, match=r"^device "):
        parse_topic(f"hamlet/v1/son-vi-khu-10/light/{bad}/state")
    with pytest.raises(TopicError, match=r"^site "):
        parse_topic(f"hamlet/v1/{bad}/light/den-1/state")


def test_a_non_string_id_is_refused() -> None:
    with pytest.raises(TopicError):
        check_id(7, "device")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "hamlet/v2/s1/light/den-1/state",  # another version
        "other/v1/s1/light/den-1/state",  # another prefix
        "hamlet/v1/s1/light/den-1",  # too few levels
        "hamlet/v1/s1/light/den-1/state/extra",  # too many levels
        "/hamlet/v1/s1/light/den-1/state",  # a leading slash is an extra empty level
        "hamlet/v1/s1/light/den/1/state",  # an id containing '/'
        "",
    ],
)
def test_a_topic_of_the_wrong_shape_is_refused(value: str) -> None:
    with pytest.raises(TopicError, match="is not of the form"):
        parse_topic(value)


def test_unknown_kind_and_channel_are_refused_naming_them() -> None:
    with pytest.raises(TopicError, match="kind 'lamp' is unknown"):
        parse_topic("hamlet/v1/s1/lamp/den-1/state")
    with pytest.raises(TopicError, match="channel 'status' is unknown"):
        parse_topic("hamlet/v1/s1/light/den-1/status")
    with pytest.raises(TopicError, match="kind 'hub' is unknown"):
        topic("s1", "hub", "den-1", Channel.STATE)


def test_hub_availability_is_outside_the_device_grammar() -> None:
    value = hub_availability_topic("son-vi-khu-10")
    assert value == "hamlet/v1/son-vi-khu-10/hub/availability"
    with pytest.raises(TopicError):
        parse_topic(value)


def test_subscriptions() -> None:
    assert ingest_filters("s1") == [f"{PREFIX}/s1/+/+/{c.value}" for c in DEVICE_CHANNELS]
    assert device_filters("s1", Kind.SPEAKER, "loa-bac-1") == [
        "hamlet/v1/s1/speaker/loa-bac-1/set",
        "hamlet/v1/s1/speaker/loa-bac-1/config",
    ]
    # Direction: the hub never subscribes to its own commands, a device only to them.
    assert set(DEVICE_CHANNELS).isdisjoint(HUB_CHANNELS)
    assert set(DEVICE_CHANNELS) | set(HUB_CHANNELS) == set(Channel)


def test_the_id_pattern_is_the_one_in_the_design() -> None:
    assert ID_PATTERN == r"^[a-z0-9][a-z0-9-]{0,31}$"
