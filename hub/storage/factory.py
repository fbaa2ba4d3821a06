"""Pick the telemetry store from a URL: none or sqlite:// -> embedded SQLite; http(s) -> InfluxDB, whose
major version is read from the `X-Influxdb-Version` header of `/ping` unless it is forced."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from hub.storage.base import StoreUnavailable, TelemetryStore
from hub.storage.http_client import HttpClient, redact
from hub.storage.influx_v1 import InfluxV1Store
from hub.storage.sqlite_store import SQLiteStore

SQLITE_FILE = "telemetry.sqlite3"
_VERSION_RE = re.compile(r"^v?(\d+)\.", re.IGNORECASE)


def parse_influx_version(header: str | None) -> Literal["1", "2"]:
    """The major version: 1.6.7~rc0 and 1.8.10 give "1"; 2.7.1, v2.7.4 and 3.0.1 give "2" (3.x speaks v2)."""
    match = _VERSION_RE.match((header or "").strip())
    if match is None:
        raise ValueError(
            f"cannot tell the InfluxDB version from X-Influxdb-Version {header!r}; "
            "set the store version to 1 or 2"
        )
    major = int(match.group(1))
    if major < 1:
        raise ValueError(f"unsupported InfluxDB version {header!r}")
    return "1" if major == 1 else "2"


def sqlite_path(url: str | None, data_dir: Path) -> Path:
    """sqlite:///abs/file.db -> /abs/file.db; sqlite://name.db -> data_dir/name.db; empty -> the default."""
    rest = (url or "").removeprefix("sqlite://")
    return data_dir / (rest or SQLITE_FILE)  # an absolute `rest` replaces data_dir


def detect_version(url: str, timeout: float = 5.0) -> Literal["1", "2"]:
    try:
        answer = HttpClient(url, timeout).request("GET", "/ping")
    except StoreUnavailable as exc:
        raise StoreUnavailable(
            f"cannot reach the telemetry store at {redact(url)} to detect its InfluxDB version "
            f"(is it running? set the version to skip detection): {exc}"
        ) from exc
    if not answer.ok:
        raise StoreUnavailable(f"{redact(url)}/ping answered HTTP {answer.status}; is this InfluxDB?")
    return parse_influx_version(answer.headers.get("x-influxdb-version"))


def _require(what: str, value: str | None) -> str:
    if not value:
        raise ValueError(f"InfluxDB 2.x needs `{what}` set")
    return value


def open_store(
    url: str | None,
    *,
    data_dir: Path,
    version: str = "auto",
    database: str = "hamlet",
    org: str | None = None,
    bucket: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> TelemetryStore:
    if not url or url.startswith("sqlite://"):
        return SQLiteStore(sqlite_path(url, data_dir))
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"telemetry store URL must be empty, sqlite://… or http(s)://…, got {redact(url)}")
    if version not in ("auto", "1", "2"):
        raise ValueError(f"store version must be auto, 1 or 2, got {version!r}")
    major = detect_version(url, timeout) if version == "auto" else version
    if major == "1":
        return InfluxV1Store(url, database, username, password, timeout=timeout)
    # Imported only here: influxdb-client (and what it pulls in) costs ~40 MB that a hub on SQLite or
    # InfluxDB 1.x never needs.
    from hub.storage.influx_v2 import InfluxV2Store

    return InfluxV2Store(
        url, _require("token", token), _require("org", org), bucket or database, timeout=timeout
    )
