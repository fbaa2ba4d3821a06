"""A real mosquitto on a free port with a config fit for the hub (see docs/operations.md for production)."""

from __future__ import annotations

import getpass
from pathlib import Path

from tests.support.procs import Service, find_binary, free_port

# The hub acknowledges in batches after its outbox commit, so the broker must allow many unacknowledged
# messages in flight per client (mosquitto's default is 20) and queue more than 1000 for a persistent
# session while the hub is down (mosquitto's default drops the rest silently). Persistence with a one-second
# autosave: mosquitto saves its sessions only every 30 minutes by default (and on a clean stop), so a crashed
# broker would come back without the hub's session and route messages to nobody until the hub re-subscribes.
# `kill()` then `start()` is a crash and a restart on the same port and the same persistence file.
CONFIG = """\
listener {port} 127.0.0.1
# Run as whoever started the tests (as root mosquitto would switch to a user that cannot write here).
user {user}
allow_anonymous true
persistence true
persistence_location {data}/
autosave_interval 1
set_tcp_nodelay true
max_inflight_messages 0
max_queued_messages 0
max_queued_bytes 0
# Above the hub's 16 KiB payload limit, so the tests see the hub dead-letter an oversized message
# (production sets the broker limit itself: see docker-compose/mosquitto).
message_size_limit 65536
log_dest stdout
log_type error
log_type warning
"""


class Mosquitto(Service):
    host = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def start_mosquitto(folder: Path, port: int | None = None) -> Mosquitto:
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    data = folder / "data"
    data.mkdir(exist_ok=True)
    conf = folder / "mosquitto.conf"
    conf.write_text(CONFIG.format(port=port, data=data, user=getpass.getuser()))
    broker = Mosquitto([find_binary("mosquitto"), "-c", str(conf)], port, folder / "mosquitto.log")
    broker.start()
    return broker
