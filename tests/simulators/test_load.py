"""The load generator against a real mosquitto: what it counts as acked is what a subscriber receives."""

from __future__ import annotations

import itertools

import pytest

from devices.contract import Channel, Kind, topic
from devices.light import LightTelemetry
from simulators.load import device_ids, publish_load
from tests.simulators.probe import Probe
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.integration
SITE = "bench"


def telemetry_probe(mosquitto: Mosquitto, devices: int) -> Probe:
    return Probe(mosquitto.host, mosquitto.port,
                 [topic(SITE, Kind.LIGHT, d, Channel.TELEMETRY) for d in device_ids(devices)])


def test_acked_equals_received_and_seq_has_no_gap(mosquitto: Mosquitto) -> None:
    with telemetry_probe(mosquitto, 50) as probe:
        result = publish_load(mosquitto.host, mosquitto.port, SITE, devices=50, messages=2_000, clients=3)
        assert result.published == result.acked == 2_000
        received = probe.wait_for(lambda m: True, timeout=10, count=2_000)
    assert result.per_device_last_seq == {d: 39 for d in device_ids(50)}
    by_device: dict[str, list[LightTelemetry]] = {}
    for message in received:
        by_device.setdefault(message.topic, []).append(LightTelemetry.model_validate_json(message.payload))
    for series in by_device.values():
        assert [x.seq for x in series] == list(range(40))  # in order per device, none lost or repeated
        assert all(a.ts < b.ts for a, b in itertools.pairwise(series))


def test_mixes_in_invalid_messages_at_the_asked_rate(mosquitto: Mosquitto) -> None:
    with telemetry_probe(mosquitto, 10) as probe:
        result = publish_load(mosquitto.host, mosquitto.port, SITE, devices=10, messages=1_000, invalid_rate=0.2)
        received = probe.wait_for(lambda m: True, timeout=10, count=result.acked)
    assert result.acked == result.published == 1_000 and 120 < result.invalid < 280
    valid = 0
    for message in received:
        try:
            LightTelemetry.model_validate_json(message.payload)
            valid += 1
        except ValueError:
            pass
    assert valid == sum(last + 1 for last in result.per_device_last_seq.values()) == 1_000 - result.invalid


def test_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="at least"):
        publish_load("127.0.0.1", 1, SITE, devices=0, messages=1)
