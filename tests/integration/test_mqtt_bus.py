"""The paho bus against a real mosquitto: manual ack, persistent session, last will, deliveries."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from devices.contract import hub_availability_topic
from hub.bus.base import Message
from hub.bus.mqtt import MqttBus, MqttOptions
from tests.support.mosquitto import Mosquitto
from tests.support.publisher import Publisher
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
SITE = "bus-test"


def make_bus(broker: Mosquitto, client_id: str = "bus-under-test", site: str = SITE) -> MqttBus:
    return MqttBus(MqttOptions(broker.host, broker.port, client_id, hub_availability_topic(site), keepalive=5))


class Watcher:
    """A second client that records what arrives on a filter."""

    def __init__(self, broker: Mosquitto, topic_filter: str) -> None:
        self.got: list[Message] = []
        self.bus = make_bus(broker, "watcher", site="watcher-site")
        self.bus.subscribe(topic_filter, self._got)
        self.bus.start()
        assert self.bus.wait_connected(10)

    def _got(self, message: Message) -> None:
        self.got.append(message)
        self.bus.ack(message)


@pytest.fixture
def bus(mosquitto: Mosquitto) -> Iterator[MqttBus]:
    b = make_bus(mosquitto)
    yield b
    b.stop()


def test_unacknowledged_messages_come_back_after_a_reconnect(mosquitto: Mosquitto) -> None:
    received: list[Message] = []
    first = make_bus(mosquitto)
    first.subscribe("t/#", received.append)  # never acks
    first.start()
    assert first.wait_connected(10)
    pub = Publisher(mosquitto.host, mosquitto.port, SITE)
    try:
        for i in range(5):
            pub.raw("t/x", f"m{i}".encode())
        eventually(lambda: len(received) == 5)
        first.stop()
        pub.raw("t/x", b"while-away")  # queued by the broker for the persistent session
        again: list[Message] = []
        second = make_bus(mosquitto)

        def take(message: Message) -> None:
            again.append(message)
            second.ack(message)

        second.subscribe("t/#", take)
        second.start()
        eventually(lambda: len(again) >= 6)
        assert sorted(m.payload for m in again) == sorted([b"m0", b"m1", b"m2", b"m3", b"m4", b"while-away"])
        second.stop()
    finally:
        pub.close()


def test_availability_is_retained_with_a_last_will(mosquitto: Mosquitto, bus: MqttBus) -> None:
    bus.start()
    assert bus.wait_connected(10)
    watcher = Watcher(mosquitto, hub_availability_topic(SITE))
    try:
        eventually(lambda: [m.payload for m in watcher.got] == [b"online"])
        sock = bus._client.socket()  # an ungraceful end: the broker must publish the will
        assert sock is not None
        sock.close()
        eventually(lambda: watcher.got[-1].payload == b"offline", timeout=20)
    finally:
        watcher.bus.stop()


def test_many_publishes_from_threads_are_all_delivered(bus: MqttBus) -> None:
    bus.start()
    assert bus.wait_connected(10)
    deliveries = []
    lock = threading.Lock()

    def burst() -> None:
        for i in range(1500):
            d = bus.publish("burst/t", str(i).encode(), qos=1)
            with lock:
                deliveries.append(d)

    threads = [threading.Thread(target=burst) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(deliveries) == 4500
    assert all(d.wait(20) for d in deliveries)


def test_bulk_acks_are_taken_by_the_broker_and_unacked_ones_come_back(mosquitto: Mosquitto) -> None:
    received: list[Message] = []
    first = make_bus(mosquitto, "bulk-acker")
    first.subscribe("bulk/#", received.append)
    first.start()
    assert first.wait_connected(10)
    pub = Publisher(mosquitto.host, mosquitto.port, SITE)
    try:
        for i in range(300):
            pub.raw(f"bulk/{i % 7}", f"m{i}".encode())
        eventually(lambda: len(received) == 300)
        first.ack_many(received[:250])  # one write of 250 PUBACKs; the last 50 stay unacknowledged
        time.sleep(0.5)  # let the PUBACKs reach the broker before the session ends
        first.stop()
        again: list[Message] = []
        second = make_bus(mosquitto, "bulk-acker")
        second.subscribe("bulk/#", again.append)
        second.start()
        eventually(lambda: len(again) >= 50)
        time.sleep(0.5)  # nothing more may come
        assert sorted(m.payload for m in again) == sorted(f"m{i}".encode() for i in range(250, 300))
        second.ack_many(again)
        second.stop()
    finally:
        pub.close()


def test_one_wildcard_subscriber_does_not_receive_another_filters_messages(mosquitto: Mosquitto, bus: MqttBus) -> None:
    ingest: list[str] = []
    watch: list[str] = []

    def keep(into: list[str]) -> Callable[[Message], None]:
        def handler(message: Message) -> None:
            into.append(message.topic)
            bus.ack(message)

        return handler

    bus.subscribe("hamlet/v1/s/+/+/telemetry", keep(ingest))
    bus.subscribe("t/#", keep(watch))
    bus.start()
    assert bus.wait_connected(10)
    pub = Publisher(mosquitto.host, mosquitto.port, SITE)
    try:
        pub.raw("t/x/telemetry", b"1")
        pub.raw("hamlet/v1/s/light/d/telemetry", b"2")
        eventually(lambda: len(watch) == 1 and len(ingest) == 1)
        assert (ingest, watch) == (["hamlet/v1/s/light/d/telemetry"], ["t/x/telemetry"])
    finally:
        pub.close()


def test_a_lost_link_is_a_warning_and_a_clean_stop_is_not(
    mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    """The technician's log: a warning means something went wrong, so the hub's own stop is only info."""
    caplog.set_level(logging.INFO, "hub.bus.mqtt")
    bus = make_bus(mosquitto)
    bus.start()
    assert bus.wait_connected(10)
    sock = bus._client.socket()
    assert sock is not None
    sock.close()

    def said(level: int) -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "hub.bus.mqtt" and r.levelno == level
                and r.getMessage().startswith("MQTT disconnected")]

    eventually(lambda: len(said(logging.WARNING)) >= 1, what="the lost link warned about")
    eventually(lambda: bus.wait_connected(1), what="reconnected")
    warned = len(said(logging.WARNING))
    bus.stop()
    assert said(logging.INFO) == ["MQTT disconnected: Normal disconnection"]
    assert len(said(logging.WARNING)) == warned
