"""A real VictoriaMetrics on a free port with its own data dir: it accepts InfluxDB's /api/v2/write, so it
stands in for an InfluxDB 2 server when testing what the 2.x store sends over the wire.

VictoriaMetrics names a series `{measurement}_{field}` and keeps the tags as labels; `export()` reads
every sample back after a force flush (recent writes are not searchable until then).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.support.procs import Service, find_binary, free_port


@dataclass(frozen=True)
class Series:
    name: str  # {measurement}_{field}
    labels: dict[str, str]  # the tags
    values: list[float]
    timestamps: list[int]  # ms


class Victoria(Service):
    host = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def get(self, path: str, params: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request("GET", path + (f"?{urlencode(params)}" if params else ""))
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def start(self, timeout: float = 20.0) -> None:
        super().start(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.get("/health")[0] == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"victoria-metrics at {self.url} not healthy within {timeout}s: {self.log}")

    def export(self, match: str = '{__name__=~".+"}') -> list[Series]:
        """Every sample of the series matching `match`, sorted by series name then labels."""
        status, _ = self.get("/internal/force_flush")
        assert status == 200, f"force_flush answered {status}"
        status, body = self.get("/api/v1/export", {"match[]": match})
        assert status == 200, f"export answered {status}: {body[:300]!r}"
        series = [_series(json.loads(line)) for line in body.splitlines() if line.strip()]
        return sorted(series, key=lambda s: (s.name, sorted(s.labels.items())))


def _series(row: dict[str, Any]) -> Series:
    labels = dict(row["metric"])
    name = labels.pop("__name__")
    pairs = sorted(zip(row["timestamps"], row["values"], strict=True))
    return Series(name, labels, [float(v) for _, v in pairs], [int(t) for t, _ in pairs])


def start_victoria(folder: Path, port: int | None = None) -> Victoria:
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    argv = [
        find_binary("victoria-metrics"),
        f"-storageDataPath={folder / 'data'}",
        f"-httpListenAddr=127.0.0.1:{port}",
        "-retentionPeriod=100y",  # test timestamps may be old; outside retention they would be dropped
        "-loggerLevel=ERROR",
    ]
    server = Victoria(argv, port, folder / "victoria.log")
    server.start()
    return server
