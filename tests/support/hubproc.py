"""The hub as a real process (`python -m hub serve`), for crash tests: SIGKILL it and start it again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.procs import free_port


class HubProcess:
    def __init__(self, data_dir: Path, site_file: Path, mqtt_url: str, influx_url: str = "") -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log = data_dir / "hub.log"
        self.env = {
            **os.environ,
            "HAMLET_DATA_DIR": str(data_dir),
            "HAMLET_SITE_FILE": str(site_file),
            "HAMLET_MQTT_URL": mqtt_url,
            "HAMLET_INFLUX_URL": influx_url,
            "HAMLET_SIMULATE": "false",
            "HAMLET_HTTP_PORT": str(self.port),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "hub", "serve"], stdout=out, stderr=subprocess.STDOUT,
                                         env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            if self.health() is not None:
                return
            time.sleep(0.1)
        raise RuntimeError(f"hub not healthy within {timeout}s: {self.log.read_text()[-3000:]}")

    def health(self) -> dict[str, object] | None:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                body: dict[str, object] = json.loads(r.read())
                return body
        except (urllib.error.URLError, OSError):
            return None

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no last flush: what was not acknowledged must come back."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
