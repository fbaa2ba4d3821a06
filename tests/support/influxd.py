"""A real InfluxDB 1.x (Debian's `influxdb` package) on free ports with its own config and data dirs.

influxd 1.6 listens twice: HTTP (the API) and the top-level `bind-address`, its backup/restore RPC port,
which defaults to 8088 on every interface. Both are put on free loopback ports so tests run side by side.
`stop()` then `start()` reuses the same ports and data dirs, which is what a restart test needs.
"""

from __future__ import annotations

import contextlib
import http.client
import time
from pathlib import Path

from tests.support.procs import Service, find_binary, free_port

CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"
  logging-enabled = false

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false

[monitor]
  # No _internal database: it writes every 10 s and would only slow the test down.
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = false
  log-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"""


class InfluxD(Service):
    host = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        super().start(timeout)
        self._wait_ping(timeout)

    def _wait_ping(self, timeout: float) -> None:
        # The HTTP port opens a moment before the API answers; /ping's 204 is the real "ready".
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=1)
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn.request("GET", "/ping")
                if conn.getresponse().status == 204:
                    conn.close()
                    return
            conn.close()
            time.sleep(0.05)
        raise RuntimeError(f"influxd at {self.url} did not answer /ping within {timeout}s: {self.log}")


def start_influxd(folder: Path, port: int | None = None) -> InfluxD:
    folder.mkdir(parents=True, exist_ok=True)
    http_port = port or free_port()
    conf = folder / "influxdb.conf"
    conf.write_text(CONFIG.format(root=folder, rpc_port=free_port(), http_port=http_port))
    server = InfluxD([find_binary("influxd"), "-config", str(conf)], http_port, folder / "influxd.log")
    server.start()
    return server
