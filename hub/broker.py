"""The embedded MQTT broker for `make run`: amqtt (pure Python) in its own thread and event loop, so a
fresh machine needs nothing installed. Production uses mosquitto (docker-compose.yml)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # amqtt (~17 MB) is imported only when the embedded broker really starts
    from amqtt.broker import Broker

log = logging.getLogger(__name__)


def broker_config(host: str, port: int) -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        # Only anonymous auth: the embedded broker listens on loopback for the demo fleet.
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


class EmbeddedBroker:
    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._broker: Broker | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="embedded-broker", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout)
        log.info("embedded MQTT broker listening on %s:%s", self.host, self.port)

    async def _start(self) -> None:
        from amqtt.broker import Broker

        self._broker = Broker(broker_config(self.host, self.port), loop=self._loop)
        await self._broker.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._broker is not None:
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                future.result(timeout)
            except Exception:  # shutting down anyway: a slow client must not block Ctrl-C
                log.warning("embedded broker did not shut down cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop.close()
