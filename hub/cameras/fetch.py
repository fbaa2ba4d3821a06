"""One bounded HTTP GET to a camera: connect, read and total timeouts, a byte cap, no redirects.

stdlib http.client on purpose: it follows no redirect by itself, and the connection goes to the address the
policy checked (the camera's name is sent as the Host header only). A camera that trickles a byte a second
is cut at the total deadline, one that sends 20 MB at the byte cap, one that answers 302 is refused.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from typing import Final

MAX_SNAPSHOT_BYTES: Final = 4 * 1024 * 1024
MAX_HEALTH_BYTES: Final = 16 * 1024
CHUNK: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    connect_s: float = 3.0
    read_s: float = 5.0
    total_s: float = 10.0


class FetchFailed(Exception):
    """The camera did not give an acceptable answer; `reason` is a code, the message says more."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # unreachable | timeout | refused | too_large | bad_type


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    latency_ms: float  # request sent to last byte read


def get(ip: str, port: int, host: str, path: str, *, accept: tuple[str, ...], cap: int,
        limits: Limits = Limits()) -> Answer:
    """GET http://ip:port/path with Host `host`; FetchFailed naming the problem otherwise."""
    start = time.monotonic()
    deadline = start + limits.total_s
    conn = http.client.HTTPConnection(ip, port, timeout=min(limits.connect_s, limits.total_s))
    try:
        try:
            conn.connect()
        except TimeoutError:
            raise FetchFailed("timeout", f"no connection within {limits.connect_s:g} s") from None
        except OSError as exc:
            raise FetchFailed("unreachable", f"cannot connect: {exc.strerror or exc}") from None
        assert conn.sock is not None
        conn.sock.settimeout(_left(deadline, limits.read_s))
        try:
            conn.request("GET", path, headers={"Host": host, "Accept": ", ".join(accept), "Connection": "close"})
            response = conn.getresponse()
            body = _read(response, path, accept, cap, deadline, limits)
        except TimeoutError:
            raise FetchFailed("timeout", f"no answer within the time allowed ({limits.total_s:g} s total)") from None
        except (http.client.HTTPException, OSError) as exc:
            raise FetchFailed("unreachable", f"connection broken: {type(exc).__name__} {exc}".strip()) from None
        return Answer(body, (time.monotonic() - start) * 1000)
    finally:
        conn.close()


def _left(deadline: float, read_s: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return min(read_s, left)


def _read(response: http.client.HTTPResponse, path: str, accept: tuple[str, ...], cap: int, deadline: float,
          limits: Limits) -> bytes:
    if 300 <= response.status < 400:
        raise FetchFailed("refused", f"{path} answered {response.status} (a redirect): redirects are not followed")
    if response.status != 200:
        raise FetchFailed("refused", f"{path} answered HTTP {response.status}")
    kind = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if kind not in accept:
        raise FetchFailed("bad_type", f"{path} sent {kind or 'no content type'}, expected {' or '.join(accept)}")
    length = response.getheader("Content-Length")
    if length is not None and length.isdigit() and int(length) > cap:
        raise FetchFailed("too_large", f"{path} would send {int(length):,} bytes; the limit is {cap:,}")
    parts: list[bytes] = []
    size = 0
    while True:
        _left(deadline, limits.read_s)  # each read waits at most read_s: a trickle ends soon after the deadline
        chunk = response.read1(CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > cap:
            raise FetchFailed("too_large", f"{path} sent more than {cap:,} bytes")
        parts.append(chunk)
