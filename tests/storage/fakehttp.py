"""A tiny HTTP server in a thread that records every request and answers what the test says."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # keys lower-cased
    raw_body: bytes

    @property
    def body(self) -> bytes:
        """The body as sent before any gzip."""
        gzipped = self.headers.get("content-encoding") == "gzip"
        return gzip.decompress(self.raw_body) if gzipped else self.raw_body


@dataclass
class Answer:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[Recorded] = []
        self.answer = Answer()  # for any path not in `answers` or `sequences`
        self.answers: dict[str, Answer] = {}
        self.sequences: dict[str, list[Answer]] = {}  # answered in turn, then `answers` / `answer` again
        self.respond: Callable[[Recorded], Answer | None] | None = None  # first say, from the request itself

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeServer

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Recorded(self.command, parts.path, parse_qs(parts.query), headers, body)
        self.server.requests.append(request)
        said = self.server.respond(request) if self.server.respond else None
        queued = self.server.sequences.get(parts.path)
        answer = said or (queued.pop(0) if queued else self.server.answers.get(parts.path, self.server.answer))
        self.send_response(answer.status)
        for key, value in answer.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST = do_HEAD = _handle  # noqa: N815  (http.server's naming)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test asserts on `requests` instead."""


@contextmanager
def fake_server(answer: Answer | None = None) -> Iterator[FakeServer]:
    server = FakeServer()
    if answer is not None:
        server.answer = answer
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@contextmanager
def silent_server(close_after_s: float = 3.0) -> Iterator[str]:
    """A server that accepts connections and never answers, then closes them after `close_after_s`: a client
    without a timeout ends with the connection dropped, one with a shorter timeout ends with "timed out"."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def hold() -> None:
        held: list[socket.socket] = []
        listener.settimeout(0.05)
        while not done.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
        for conn in held:
            conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    timer = threading.Timer(close_after_s, done.set)
    timer.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        timer.cancel()
        done.set()
        thread.join()
        listener.close()
