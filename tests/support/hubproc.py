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
    def __init__(self, data_dir: Path, site_file: Path, mqtt_url: str, influx_url: str = "",
                 log: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        # Outside the data dir when that is the disk a test fills up.
        self.log = log or data_dir / "hub.log"
        self.env = {
            **os.environ,
            "HAMLET_DATA_DIR": str(data_dir),
            "HAMLET_SITE_FILE": str(site_file),
            "HAMLET_MQTT_URL": mqtt_url,
            "HAMLET_INFLUX_URL": influx_url,
            "HAMLET_SIMULATE": "false",
            "HAMLET_HTTP_PORT": str(self.port),
            **(env or {}),
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
        """/healthz's body, "ok" (200) or "degraded" (503); None while the hub does not answer."""
        answer = self.healthz()
        return None if answer is None else answer[1]

    def healthz(self) -> tuple[int, dict[str, object]] | None:
        """(status code, body) of /healthz; None while the hub does not answer."""
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:  # 503 "degraded" is an answer too
            with err:
                return err.code, json.loads(err.read())
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def ok(self, component: str) -> bool:
        """Whether /healthz calls `component` ("broker", "store") ok right now (False while no answer)."""
        body = self.health()
        part = body.get(component) if body else None
        return isinstance(part, dict) and part.get("ok") is True

    def degraded(self) -> bool:
        """/healthz answers, and with 503 "degraded"."""
        answer = self.healthz()
        return answer is not None and answer[0] == 503 and answer[1].get("status") == "degraded"

    @property
    def pid(self) -> int:
        assert self.proc is not None, "the hub was never started"
        return self.proc.pid

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
