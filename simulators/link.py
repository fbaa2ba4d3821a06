"""A device's own MQTT connection: last will, reconnect with backoff, simulated outages, clean stop.

One connection per device because a last will belongs to a connection: that is what makes the broker flip
the device's retained availability to `offline` when it vanishes. Timers live here too, since they stop with
the connection. Everything except the public controls runs on the NetLoop thread.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any, Final

import paho.mqtt.client as mqtt

from devices.contract import OFFLINE, ONLINE
from simulators.broker import new_client
from simulators.netloop import NetLoop, Timer

log = logging.getLogger(__name__)
RETRY_S: Final = (1.0, 30.0)  # backoff bounds while the broker is unreachable
# paho gives up on a missing CONNACK only after a whole keepalive (30 s): too long for a device the hub must
# see within seconds. amqtt sometimes never answers a reconnect whose old session died mid-accept.
CONNACK_S: Final = 5.0


class DeviceLink:
    def __init__(self, net: NetLoop, client_id: str, host: str, port: int, *, availability: str,
                 subscriptions: list[str], keepalive: int = 30, clean_session: bool = False) -> None:
        self.net, self.name = net, client_id
        # Set once the broker has acknowledged the retained `online` (not at CONNACK): "online" then means
        # what a subscriber arriving now will see. Cleared when the connection drops.
        self.connected = threading.Event()
        self._online_mid: int | None = None
        self.closed = threading.Event()  # set once a clean stop has disconnected
        self.on_online: Callable[[], None] = lambda: None
        self.on_offline: Callable[[], None] = lambda: None
        self.on_message: Callable[[str, bytes], None] = lambda topic, payload: None
        # Called with (topic, payload) once the broker acknowledged a message (PUBACK): a test's ledger
        # (tests/support/ledger.py) counts loss from exactly these. None: nothing is remembered per message.
        self.on_acked: Callable[[str, str], object] | None = None
        self._unacked: dict[int, tuple[str, str]] = {}
        self._availability, self._subscriptions = availability, subscriptions
        self._timers: dict[str, Timer] = {}
        self._offline = self._stopping = False
        self._retry_s = RETRY_S[0]
        # A persistent session: the broker keeps QoS 1 commands sent while the device is away (they carry an
        # expiry and an id, so a late or repeated one is refused or de-duplicated, never applied twice).
        self._client = new_client(client_id, clean_session=clean_session)
        self._client.will_set(availability, OFFLINE, qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = lambda client, userdata, mid, codes, props: self.net.gate.leave(self.name)
        self._client.on_publish = self._on_publish
        self._client.on_message = lambda client, userdata, msg: self.on_message(msg.topic, bytes(msg.payload))
        self._client.connect_async(host, port, keepalive)

    @property
    def usable(self) -> bool:
        return self._client.is_connected() and not self._stopping

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if self.on_acked is not None:  # publish and PUBACK both run on the loop thread: no race on the mid
            self._unacked[info.mid] = (topic, payload)

    # --- controls: thread-safe ---------------------------------------------------------------------
    def start(self) -> None:
        self.net.call_soon(self._start)

    def go_offline(self) -> None:
        """Drop the connection without a DISCONNECT packet, so the broker publishes the last will."""
        self.net.call_soon(self.drop)

    def come_online(self) -> None:
        self.net.call_soon(self.rejoin)

    def stop(self) -> None:
        """Publish `offline` retained, then disconnect cleanly (no will); `closed` is set when done."""
        self.net.call_soon(self._shutdown)

    # --- timers: loop thread -----------------------------------------------------------------------
    def later(self, name: str, delay_s: float, fn: Callable[[], None]) -> None:
        """Run `fn` once after `delay_s`, replacing the timer of the same name."""
        self.cancel(name)
        self._timers[name] = self.net.call_later(delay_s, fn)

    def cancel(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    # --- lifecycle: loop thread --------------------------------------------------------------------
    def _start(self) -> None:
        self.net.attach(self._client)
        self._connect()

    def _connect(self) -> None:
        if not self._offline and not self._stopping:
            self.net.gate.enter(self.name, self._connect_now)

    def _connect_now(self) -> None:
        # Holds the fleet's connect gate until the SUBACK (or a failure) so devices connect one at a time.
        if self._offline or self._stopping or self._client.socket() is not None:
            self.net.gate.leave(self.name)
            return
        try:
            self._client.reconnect()
        except OSError as err:
            self.net.gate.leave(self.name)
            log.warning("%s: broker unreachable (%s), retry in %.0f s", self.name, err, self._retry_s)
            self.later("reconnect", self._retry_s, self._connect)
            self._retry_s = min(self._retry_s * 2, RETRY_S[1])
        else:
            self.later("connack", CONNACK_S, self._connack_overdue)

    def _connack_overdue(self) -> None:
        if not self._client.is_connected():
            log.warning("%s: no CONNACK within %.0f s, reconnecting", self.name, CONNACK_S)
            self._shut()  # on_disconnect follows, which schedules the retry

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.error("%s: broker refused the connection: %s", self.name, reason)
            self.net.gate.leave(self.name)
            return
        self._retry_s = RETRY_S[0]
        self.cancel("connack")
        # Subscriptions are made here so that a reconnect renews them (design §7).
        client.subscribe([(sub, 1) for sub in self._subscriptions])
        self._online_mid = client.publish(self._availability, ONLINE, qos=1, retain=True).mid
        self.on_online()

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        if mid == self._online_mid and client.is_connected():
            self.connected.set()
        sent = self._unacked.pop(mid, None)
        if sent is not None and self.on_acked is not None:
            self.on_acked(*sent)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connected.clear()
        self._online_mid = None
        self.net.gate.leave(self.name)
        self.on_offline()
        if self._stopping:
            self._finish()
        elif not self._offline:
            log.warning("%s: connection lost (%s), reconnecting", self.name, reason)
            self.later("reconnect", self._retry_s, self._connect)

    def drop(self) -> None:
        """Loop thread: go_offline's work (a power or network loss), also used by a device's power cut."""
        self._offline = True
        self.connected.clear()  # offline from now on, not from when paho gets round to reading the EOF
        self.cancel("reconnect")
        self._shut()

    def _shut(self) -> None:
        sock = self._client.socket()
        if isinstance(sock, socket.socket):
            # shutdown, not close: paho then reads EOF, closes the socket itself and calls on_disconnect,
            # while the broker sees the TCP connection end without a DISCONNECT and publishes the will.
            # A second cause (the power going while the network is already down) may find it shut: fine.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def rejoin(self) -> None:
        """Loop thread: come_online's work."""
        self._offline = False
        if self._client.socket() is None:
            self._connect()

    def _shutdown(self) -> None:
        self._stopping = True
        for name in list(self._timers):
            self.cancel(name)
        if self._client.socket() is None:
            self._finish()
            return
        self._client.publish(self._availability, OFFLINE, qos=1, retain=True)
        self._client.disconnect()  # on_disconnect -> _finish once the DISCONNECT has been written

    def _finish(self) -> None:
        self.net.detach(self._client)
        self.closed.set()
