"""InfluxDB 1.x through its v1 HTTP API (/write with line protocol, /query with InfluxQL).

This is what `apt install influxdb` gives on Debian and Ubuntu. No client library: the API is two
endpoints, and a write either gets a 2xx or raises StoreUnavailable so the caller keeps the points.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

from hub.storage.base import Bucket, Point, StoreUnavailable
from hub.storage.http_client import HttpClient, Response, basic_auth
from hub.storage.line_protocol import chunks, encode_lines
from hub.storage.names import check_field, check_window
from hub.storage.schema import FIELD_SEQ, TAG_DEVICE

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def quote_ident(name: str) -> str:
    """An InfluxQL identifier in double quotes."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(value: str) -> str:
    """An InfluxQL string literal in single quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def mean_query(measurement: str, device: str, field: str, since_ms: int, until_ms: int, every_ms: int) -> str:
    check_window(since_ms, until_ms, every_ms)
    # fill(none): the interface leaves empty buckets out; InfluxDB would return them as null.
    return (
        f"SELECT mean({quote_ident(check_field(field))}) FROM {quote_ident(measurement)} "
        f"WHERE {quote_ident(TAG_DEVICE)} = {quote_string(device)} "
        f"AND time >= {int(since_ms)}ms AND time < {int(until_ms)}ms "
        f"GROUP BY time({int(every_ms)}ms) fill(none)"
    )


def _series_values(answer: Response, what: str) -> list[list[Any]]:
    """The rows of the first series of the first statement; StoreUnavailable on any error in it."""
    if not answer.ok:
        raise StoreUnavailable(f"{what}: HTTP {answer.status}: {answer.body[:300]!r}")
    try:
        result = json.loads(answer.body)["results"][0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:  # a proxy's page, not InfluxDB's JSON
        raise StoreUnavailable(f"{what}: unexpected answer {answer.body[:300]!r}") from exc
    if "error" in result:
        raise StoreUnavailable(f"{what}: {result['error']}")
    series = result.get("series") or [{}]
    return list(series[0].get("values") or [])


def _error_text(body: bytes) -> str:
    """InfluxDB's {"error": "..."} message, or the start of whatever else came back."""
    try:
        return str(json.loads(body)["error"])[:300]
    except (ValueError, KeyError, TypeError):
        return repr(body[:300])


class InfluxV1Store:
    name = "influxdb1"
    concurrent_writes = True

    def __init__(
        self,
        url: str,
        database: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        batch_size: int = 5000,
    ) -> None:
        # Basic auth keeps the password out of the query string (and so out of any access log). Credentials
        # in the URL count too; the URL kept for messages has them removed.
        parts = urlsplit(url)
        auth = basic_auth(username or parts.username, password or parts.password)
        self._http = HttpClient(url, timeout, auth)
        self.url = self._http.url
        self.database = database
        self._batch_size = batch_size
        self._db_ready = threading.Event()

    def _query(self, q: str, *, epoch: bool = True) -> Response:
        params = {"db": self.database, **({"epoch": "ms"} if epoch else {})}
        # POST, because InfluxDB 1.x refuses CREATE over GET; the statement goes in the form body.
        form = urlencode({"q": q}).encode()
        return self._http.request("POST", "/query", params, form, _FORM)

    def _ensure_database(self) -> None:
        # CREATE DATABASE is idempotent; done once per process, and again if influxd lost the database.
        if self._db_ready.is_set():
            return
        create = f"CREATE DATABASE {quote_ident(self.database)}"
        _series_values(self._query(create, epoch=False), f"{self.url}: {create}")
        self._db_ready.set()

    def _post(self, body: bytes) -> Response:
        params = {"db": self.database, "precision": "ns"}  # ms + seq digits: see hub/storage/schema.py
        return self._http.request("POST", "/write", params, body, _TEXT)

    def write(self, points: Sequence[Point]) -> None:
        for piece in chunks(points, self._batch_size):
            self.write_encoded(encode_lines(piece))

    def encode(self, points: Sequence[Point]) -> bytes:
        """One request body for the batch (the writer's pipeline encodes, then sends with write_encoded)."""
        return encode_lines(points)

    def write_encoded(self, body: bytes) -> None:
        if not body:
            return
        self._ensure_database()
        answer = self._post(body)
        if answer.status == 404 and b"database not found" in answer.body:
            self._db_ready.clear()
            self._ensure_database()
            answer = self._post(body)
        if answer.status == 400:
            # The data itself was refused ("partial write: field type conflict", "unable to parse",
            # beyond the retention): no retry can succeed. ValueError lets the writer find and
            # dead-letter the refused points and keep the rest (a partial write kept some already;
            # rewriting them lands on the same keys).
            raise ValueError(f"{self.url}/write refused the data: HTTP 400: {_error_text(answer.body)}")
        if not answer.ok:
            raise StoreUnavailable(f"{self.url}/write: HTTP {answer.status}: {answer.body[:300]!r}")

    def query(
        self, measurement: str, device: str, field: str, since_ms: int, until_ms: int, every_ms: int
    ) -> list[Bucket]:
        q = mean_query(measurement, device, field, since_ms, until_ms, every_ms)
        self._ensure_database()
        rows = self.influxql(q)
        return [Bucket(int(ts), None if value is None else float(value)) for ts, value in rows]

    def influxql(self, statement: str) -> list[list[Any]]:
        """Run one InfluxQL statement in the database; the rows of its first series (tests, tools)."""
        return _series_values(self._query(statement), f"{self.url}/query")

    def count(self, measurement: str, device: str | None = None, field: str = FIELD_SEQ) -> int:
        """How many points of `measurement` carry `field` (for tests and benchmarks)."""
        where = f" WHERE {quote_ident(TAG_DEVICE)} = {quote_string(device)}" if device else ""
        q = f"SELECT count({quote_ident(check_field(field))}) FROM {quote_ident(measurement)}{where}"
        self._ensure_database()
        rows = self.influxql(q)
        return int(rows[0][1]) if rows else 0

    def ping(self) -> bool:
        try:
            return self._http.request("GET", "/ping").ok
        except StoreUnavailable:
            return False

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""
