"""The MQTT bus on paho-mqtt: fixed client id, persistent session, manual acknowledgement.

- MQTT 3.1.1: paho receives markedly faster with it than with MQTT 5 (design brief §9).
- clean_session=False with a fixed client id: the broker keeps our subscriptions and queues QoS 1
  messages while the hub is down, and redelivers what was sent but never acknowledged.
- manual_ack=True: a message is acknowledged only when the caller says it is durable (Bus.ack).
- Subscriptions are made in on_connect so they come back after every reconnect.
- One on_message dispatching on the topic's last level (hub/bus/dispatch.py), not paho's matcher walk
  per filter; QoS 0/1 PUBLISH packets reach it without paho's message object (hub/bus/publish.py).
- Acknowledgements in bulk (`ack_many`): one write of back-to-back PUBACKs for a whole batch.
- Reads buffered (hub/bus/reads.py): one recv for many packets, so paho's thread gives up the GIL less.
- The hub's own availability is retained, with a retained last will "offline".
- Reconnect backoff 1 s -> 3 s: a broker back from a crash redelivers the session's queue only once we
  are connected again, so every second of backoff is a second of messages waiting (or, with a broker
  that lost the session, routed to nobody until we re-subscribe).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from hub.bus.base import ConnectionListener, Delivery, Handler, Message
from hub.bus.dispatch import Dispatch
from hub.bus.publish import DirectPublish
from hub.bus.reads import BufferedReads

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MqttOptions:
    host: str
    port: int
    client_id: str
    availability_topic: str
    username: str | None = None
    password: str | None = None
    keepalive: int = 30
    # Outgoing QoS 1 messages in flight at once (commands, configs); 0: no limit. With a limit, paho walks
    # every outgoing message on each PUBACK (`_update_inflight`), so pushing 10,000 lights' configs cost
    # O(n²) on the network thread (8 % of the hub's GIL during the ingest bench); paho's default of 20 is
    # far too low anyway. The broker's own inflight and TCP bound what is really in flight.
    max_inflight: int = 0
    reconnect_min_s: int = 1
    reconnect_max_s: int = 3


class MqttBus:
    def __init__(self, options: MqttOptions) -> None:
        self._options = options
        self._subs: list[tuple[str, int]] = []
        self._listeners: list[ConnectionListener] = []
        self._deliveries: dict[int, Delivery] = {}
        self._early: set[int] = set()  # PUBACKs that arrived before publish() registered the mid
        self._lock = threading.RLock()
        self._connected = threading.Event()
        self._linked = False  # the broker accepted our CONNECT; SUBACKs may still be on their way
        self._pending_subacks: set[int] = set()
        self._dispatch = Dispatch()
        # CPU time of paho's network thread (receive: socket reads, packet parsing, dispatch), sampled
        # from that thread every few hundred messages; the bench prints it per message.
        self.rx_cpu_ns = 0
        self.rx_messages = 0
        self._rx_cpu_start: int | None = None
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        o = self._options
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=o.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if o.username:
            client.username_pw_set(o.username, o.password)
        client.will_set(o.availability_topic, b"offline", qos=1, retain=True)
        client.reconnect_delay_set(min_delay=o.reconnect_min_s, max_delay=o.reconnect_max_s)
        client.max_inflight_messages_set(o.max_inflight)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        BufferedReads(client).install()
        DirectPublish(client, self._deliver).install()
        return client

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def linked(self) -> bool:
        """Connected to the broker, perhaps still waiting for SUBACKs queued behind a backlog (the hub is
        then catching up, not down)."""
        return self._linked

    def wait_connected(self, timeout: float) -> bool:
        """Wait until connected and every subscription is acknowledged by the broker."""
        return self._connected.wait(timeout)

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        self._dispatch.add(topic_filter, handler)
        self._subs.append((topic_filter, qos))
        if self.connected:
            self._client.subscribe(topic_filter, qos)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> Delivery:
        # Never hold our lock across paho's publish: paho calls on_publish while holding its own message
        # lock, and on_publish takes ours, so holding both the other way round deadlocks.
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        delivery = Delivery(mid=info.mid)
        if info.rc != mqtt.MQTT_ERR_SUCCESS and info.rc != mqtt.MQTT_ERR_NO_CONN:
            log.warning("publish to %s failed: %s", topic, mqtt.error_string(info.rc))
        with self._lock:
            acked_already = info.mid in self._early
            if acked_already:
                self._early.discard(info.mid)
            else:
                self._deliveries[info.mid] = delivery
        if acked_already:
            delivery.set_delivered()  # outside the lock: a callback may publish again
        return delivery

    def ack(self, message: Message) -> None:
        if message.qos > 0:
            self._client.ack(message.mid, message.qos)

    def ack_many(self, messages: Sequence[Message]) -> None:
        """Acknowledge a batch: its QoS 1 PUBACKs go out back to back in one queued write (one wake-up of
        paho's loop, one send) instead of one packet, one wake-up and one log call each."""
        queue = getattr(self._client, "_packet_queue", None)
        if queue is None:  # a paho without the internals this relies on: one by one, still correct
            for message in messages:
                self.ack(message)
            return
        pubacks = b"".join([_PUBACK[m.mid] for m in messages if m.qos == 1])
        if pubacks:
            queue(_PUBACK_COMMAND, pubacks, 0, 1)
        for message in messages:
            if message.qos == 2:
                self._client.ack(message.mid, 2)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        """paho's path (hub/bus/publish.py hands the common case to `_deliver` without it)."""
        try:
            topic = msg.topic
        except UnicodeDecodeError:  # brokers refuse such topics; if one passes, nothing could store it
            log.warning("dropping a message whose topic is not UTF-8")
            self.ack(Message("", b"", msg.qos, msg.retain, msg.mid))
            return
        payload = msg.payload  # bytes as paho decodes it: no copy (a bytearray would only come from a user)
        self._deliver(topic, payload if type(payload) is bytes else bytes(payload), msg.qos, msg.retain, msg.mid)

    def _deliver(self, topic: str, payload: bytes, qos: int, retain: bool, mid: int) -> None:
        self.rx_messages += 1
        if self.rx_messages & 255 == 0:
            now = time.thread_time_ns()
            if self._rx_cpu_start is None:
                self._rx_cpu_start = now
            self.rx_cpu_ns = now - self._rx_cpu_start
        message = Message(topic, payload, qos, retain, mid)
        handler = self._dispatch.alone(topic)
        if handler is not None:
            handler(message)
            return
        handlers = self._dispatch.matching(topic)
        if not handlers:  # nobody subscribed for it any more: acknowledged, or it would come back forever
            self.ack(message)
        for handler in handlers:
            handler(message)

    def on_connection_change(self, listener: ConnectionListener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        o = self._options
        self._client.connect_async(o.host, o.port, keepalive=o.keepalive)
        self._client.loop_start()

    def stop(self) -> None:
        if self.connected:
            self.publish(self._options.availability_topic, b"offline", qos=1, retain=True).wait(3)
        self._client.disconnect()
        self._client.loop_stop()
        # paho closes its wake-up socket pair only when the client is collected, and our callbacks make a
        # cycle that delays that (a ResourceWarning then, or two fds held): close it now.
        reset = getattr(self._client, "_reset_sockets", None)
        if reset is not None:
            reset()

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object
    ) -> None:
        if reason.is_failure:
            log.warning("MQTT connect refused: %s", reason)
            return
        _no_delay(client)
        self._linked = True
        with self._lock:
            for topic_filter, qos in self._subs:
                _rc, mid = client.subscribe(topic_filter, qos)
                if mid is not None:
                    self._pending_subacks.add(mid)
        self.publish(self._options.availability_topic, b"online", qos=1, retain=True)
        log.info("MQTT connected to %s:%s", self._options.host, self._options.port)
        self._maybe_ready()

    def _on_subscribe(self, _c: mqtt.Client, _u: object, mid: int, _r: object, _p: object) -> None:
        with self._lock:
            self._pending_subacks.discard(mid)
        self._maybe_ready()

    def _maybe_ready(self) -> None:
        # "Connected" for the hub means subscribed too: before the SUBACKs a message can pass us by.
        with self._lock:
            ready = not self._pending_subacks and not self._connected.is_set()
            if ready:
                self._connected.set()
        if ready:
            self._notify(True)

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        with self._lock:
            self._linked = False
            self._connected.clear()
            self._pending_subacks.clear()
        # A clean stop is "Normal disconnection" (not a failure): only a lost link deserves a warning.
        level = logging.WARNING if getattr(reason, "is_failure", True) else logging.INFO
        log.log(level, "MQTT disconnected: %s", reason)
        self._notify(False)

    def _on_publish(self, _c: mqtt.Client, _u: object, mid: int, _r: object, _p: object) -> None:
        with self._lock:
            delivery = self._deliveries.pop(mid, None)
            if delivery is None:
                self._early.add(mid)
        if delivery is not None:
            delivery.set_delivered()

    def _notify(self, connected: bool) -> None:
        for listener in self._listeners:
            try:
                listener(connected)
            except Exception:  # a listener's bug must not kill paho's network thread
                log.exception("connection listener failed")


# PUBACK packets for every message id, built once: 0x40, remaining length 2, the id (MQTT 3.1.1 §3.4).
_PUBACK_COMMAND = 0x40
_PUBACK = [bytes((_PUBACK_COMMAND, 2, mid >> 8, mid & 0xFF)) for mid in range(65536)]


def _no_delay(client: mqtt.Client) -> None:
    """Small packets (PUBACKs, commands) go out at once instead of waiting on Nagle and delayed ACKs."""
    sock = client.socket()
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
