"""Request body limits: 413 before a body is read, on every route.

A pure ASGI middleware (no `BaseHTTPMiddleware`, which would buffer) checks each request against the limit
of its route: a declared `Content-Length` over the limit is refused before the app runs, and a body sent
without one (chunked) is counted as the app reads it and refused at the first byte over. Nothing is ever
buffered here, so four 32 MB bodies cost the hub a few kilobytes each, not 32 MB.

The limits table is per route template; a route not listed gets DEFAULT_LIMIT, which fits every JSON
body the app takes. docs/api-limits.md lists every route's limit and a test keeps the two in step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KiB = 1024
MiB = 1024 * KiB
DEFAULT_LIMIT = 64 * KiB  # the largest JSON body the app takes (a schedule rule) is a few KiB
# (method, route template) -> bytes. Uploads get room; everything else the default.
LIMITS: Mapping[tuple[str, str], int] = {
    ("POST", "/api/media"): 20 * MiB,  # a bulletin's audio file (MP3/Opus, a few minutes)
}


class BodyTooLarge(HTTPException):
    """Raised from `receive` mid-body. An HTTPException, so FastAPI's body parsing passes it on untouched
    (it turns other exceptions into a 400) and the app answers 413 with its usual `{"detail": ...}`."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=too_large(limit))


def too_large(limit: int) -> str:
    return f"request body too large: this route takes at most {limit} bytes"


@dataclass(frozen=True, slots=True)
class _Rule:
    method: str
    pattern: re.Pattern[str]
    limit: int


class Limits:
    """The limit of a request, by method and path: the first listed route template that matches."""

    def __init__(self, table: Mapping[tuple[str, str], int] = LIMITS, default: int = DEFAULT_LIMIT) -> None:
        self.default = default
        self.table = dict(table)
        self._rules = [_Rule(m, compile_path(p)[0], n) for (m, p), n in table.items()]

    def for_request(self, method: str, path: str) -> int:
        for rule in self._rules:
            if rule.method == method and rule.pattern.match(path):
                return rule.limit
        return self.default

    def for_route(self, method: str, template: str) -> int:
        return self.table.get((method, template), self.default)


REFUSALS = frozenset({401, 403, 413, 429})
StatusHook = Callable[[Scope, int], None]


class BodyLimit:
    """The body limit, and the one place that sees every answer's status: refusals (401/403/413/429,
    whoever made them) are reported to `on_refused` for the metrics."""

    def __init__(self, app: ASGIApp, limits: Limits | None = None, on_refused: StatusHook | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()
        self.on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_request(scope["method"], scope["path"])
        declared = _content_length(scope["headers"])
        if declared is not None and declared > limit:
            await self._refuse(scope, send, limit)  # the body stays unread; the server discards or closes
            return
        started = False
        received = 0

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                nonlocal received
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self._count(scope, message["status"])
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # Raised where no exception handler runs (e.g. a plain Starlette route reading the body).
            if started:
                raise
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        self._count(scope, 413)
        await _refuse(send, limit)

    def _count(self, scope: Scope, status: int) -> None:
        if status in REFUSALS and self.on_refused is not None:
            self.on_refused(scope, status)


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we see it
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": too_large(limit)}).encode()
    await send({
        "type": "http.response.start",
        "status": 413,
        # Close: the client may still be sending the body we will never read.
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})


def doc_table(routes: Iterable[tuple[str, str]], limits: Limits | None = None) -> str:
    """The markdown table docs/api-limits.md carries: every (method, route) with its limit."""
    limits = limits or Limits()
    present = set(routes)
    rows = ["| Method | Route | Body limit (bytes) |", "|---|---|---:|"]
    for m, p in sorted(present | limits.table.keys(), key=lambda r: (r[1], r[0])):
        reserved = "" if (m, p) in present else " (reserved: the route is not there yet)"
        rows.append(f"| {m} | `{p}`{reserved} | {limits.for_route(m, p):,} |")
    return "\n".join(rows) + "\n"


def count_refusal(scope: Scope, status: int) -> None:
    """`on_refused` for the app: into the running hub's metrics (none before its lifespan has started)."""
    hub = getattr(scope["app"].state, "hub", None)
    if hub is not None:
        hub.metrics.http_refused.add(label=str(status))
