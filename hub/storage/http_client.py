"""A small blocking HTTP client over http.client for the InfluxDB stores and version detection.

Why not urllib.request: it honours *_proxy environment variables (a local influxd would be sent to a
proxy), follows redirects, and its HTTPError keeps a socket open unless the caller closes it. Here every
request opens one connection, reads the whole answer and closes it; a batch is thousands of points, so
the connect costs nothing next to the write.
"""

from __future__ import annotations

import base64
import http.client
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from hub.storage.base import StoreUnavailable


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def redact(url: str) -> str:
    """The URL without any user:password part, fit for an error message or a log line."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


def basic_auth(username: str | None, password: str | None) -> dict[str, str]:
    if not username:
        return {}
    token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class HttpClient:
    def __init__(self, url: str, timeout: float, headers: Mapping[str, str] | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {redact(url)}")
        self.url = redact(url).rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")  # InfluxDB behind a reverse proxy under a path
        self._timeout = timeout
        self._headers = dict(headers or {})

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """The answer, whatever its status; StoreUnavailable when there is no answer at all."""
        target = self._prefix + path + (f"?{urlencode(params)}" if params else "")
        conn = self._connect()
        try:
            conn.request(method, target, body=body, headers={**self._headers, **(headers or {})})
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        except (OSError, http.client.HTTPException) as exc:
            raise StoreUnavailable(f"{self.url}{path}: {type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
