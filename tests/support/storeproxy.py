"""An HTTP proxy in front of a real influxd that a test switches to answer writes with an error.

Modes for `POST /write` (everything else always passes through, so /ping and queries keep working):
- "pass": forwarded; the answer is influxd's.
- "500" / "429": refused before influxd sees it (a store that is failing, or shedding load).
- "500-after-write": forwarded, influxd keeps the points, and the hub is told 500 anyway (the answer was
  lost): the retry must land on the same readings, not beside them.
Counts every /write and every refusal, so a test can prove the fault was exercised and that nothing is
retried forever.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final

from tests.support.procs import free_port

MODES: Final = ("pass", "500", "429", "500-after-write")
HOP_BY_HOP: Final = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class StoreProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.mode = "pass"
        self.writes = 0
        self.refused = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._handle(self)

            def do_POST(self) -> None:
                proxy._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="store-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def switch(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown proxy mode {mode!r}; one of {MODES}")
        self.mode = mode

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        mode = self.mode
        is_write = request.path.startswith("/write")
        if is_write:
            with self._lock:
                self.writes += 1
                self.refused += mode != "pass"
        if is_write and mode in ("500", "429"):
            self._answer(request, int(mode), {"Content-Type": "application/json"}, b'{"error":"injected fault"}')
            return
        try:
            status, headers, answer = self._forward(request, body)
        except OSError:
            self._answer(request, 502, {}, b"influxd unreachable")
            return
        if is_write and mode == "500-after-write":
            self._answer(request, 500, {"Content-Type": "application/json"}, b'{"error":"answer lost"}')
            return
        self._answer(request, status, headers, answer)

    def _forward(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(request.command, request.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}, data
        finally:
            conn.close()

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Connection", "close")
        request.end_headers()
        request.wfile.write(body)
