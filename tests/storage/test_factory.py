from __future__ import annotations

from pathlib import Path

import pytest

from hub.storage.base import StoreUnavailable
from hub.storage.factory import open_store, parse_influx_version, sqlite_path
from hub.storage.influx_v1 import InfluxV1Store
from hub.storage.influx_v2 import InfluxV2Store
from hub.storage.sqlite_store import SQLiteStore
from tests.storage.fakehttp import Answer, fake_server, silent_server
from tests.storage.points import light_points
from tests.support.procs import free_port


@pytest.mark.parametrize(
    ("header", "major"),
    [
        ("1.6.7~rc0", "1"),
        ("1.8.10", "1"),
        ("2.7.1", "2"),
        ("v2.7.4", "2"),
        ("V2.0.0-beta.16", "2"),
        ("3.0.1", "2"),
        (" 1.11.8 ", "1"),
    ],
)
def test_parse_influx_version(header: str, major: str) -> None:
    assert parse_influx_version(header) == major


@pytest.mark.parametrize("header", [None, "", "OSS", "0.13.0", "latest", "2"])
def test_parse_influx_version_refuses_what_it_cannot_tell(header: str | None) -> None:
    with pytest.raises(ValueError, match="version"):
        parse_influx_version(header)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, "/data/telemetry.sqlite3"),
        ("", "/data/telemetry.sqlite3"),
        ("sqlite://", "/data/telemetry.sqlite3"),
        ("sqlite://other.db", "/data/other.db"),
        ("sqlite:///var/lib/hamlet/t.db", "/var/lib/hamlet/t.db"),
    ],
)
def test_sqlite_path(url: str | None, expected: str) -> None:
    assert sqlite_path(url, Path("/data")) == Path(expected)


def test_no_url_opens_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    store = open_store(None, data_dir=tmp_path)
    try:
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "telemetry.sqlite3"
        assert store.path.exists()
    finally:
        store.close()


def test_ping_header_picks_the_store(tmp_path: Path) -> None:
    with fake_server(Answer(204, {"X-Influxdb-Version": "1.8.10"})) as server:
        v1 = open_store(server.url, data_dir=tmp_path, database="zone")
        server.answer = Answer(204, {"X-Influxdb-Version": "v2.7.4"})
        v2 = open_store(server.url, data_dir=tmp_path, token="t", org="o", bucket="b")
        assert [(r.method, r.path) for r in server.requests] == [("GET", "/ping"), ("GET", "/ping")]
    assert isinstance(v1, InfluxV1Store)
    assert v1.database == "zone"
    assert isinstance(v2, InfluxV2Store)
    assert (v2.org, v2.bucket) == ("o", "b")
    v1.close()
    v2.close()


def test_forced_version_does_not_ping(tmp_path: Path) -> None:
    with fake_server(Answer(204, {"X-Influxdb-Version": "1.8.10"})) as server:
        store = open_store(server.url, data_dir=tmp_path, version="2", token="t", org="o", bucket="b")
        assert server.requests == []
    assert isinstance(store, InfluxV2Store)
    store.close()
    unreachable = f"http://127.0.0.1:{free_port()}"
    v1 = open_store(unreachable, data_dir=tmp_path, version="1")
    assert isinstance(v1, InfluxV1Store)
    assert not v1.ping()


def test_unreachable_url_names_it_without_the_password(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(StoreUnavailable, match=rf"cannot reach .* at http://127\.0\.0\.1:{port} ") as info:
        open_store(f"http://admin:hunter2@127.0.0.1:{port}", data_dir=tmp_path)
    assert "hunter2" not in str(info.value)


def test_not_influxdb_is_a_clear_error(tmp_path: Path) -> None:
    with fake_server(Answer(404)) as server, pytest.raises(StoreUnavailable, match="HTTP 404"):
        open_store(server.url, data_dir=tmp_path)
    with fake_server(Answer(204)) as server, pytest.raises(ValueError, match="X-Influxdb-Version None"):
        open_store(server.url, data_dir=tmp_path)


def test_v2_without_token_or_org_names_the_missing_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="token"):
        open_store("http://127.0.0.1:1", data_dir=tmp_path, version="2", org="o")
    with pytest.raises(ValueError, match="org"):
        open_store("http://127.0.0.1:1", data_dir=tmp_path, version="2", token="t")


@pytest.mark.parametrize(("url", "version"), [("mysql://x", "auto"), ("http://x", "3"), ("ftp://x", "1")])
def test_bad_url_or_version(tmp_path: Path, url: str, version: str) -> None:
    with pytest.raises(ValueError):
        open_store(url, data_dir=tmp_path, version=version)


def test_the_refusal_says_how_to_skip_detection() -> None:
    with pytest.raises(ValueError, match=r"X-Influxdb-Version 'OSS'; set the store version to 1 or 2$"):
        parse_influx_version("OSS")


def test_a_named_sqlite_file_goes_in_the_data_dir(tmp_path: Path) -> None:
    store = open_store("sqlite://zone.db", data_dir=tmp_path)
    try:
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "zone.db"
    finally:
        store.close()


def test_forced_v1_gets_every_setting(tmp_path: Path) -> None:
    """The database, the credentials and the timeout reach the store: seen in what it sends."""
    with fake_server() as server:
        server.answers["/query"] = Answer(200, {}, b'{"results":[{"statement_id":0}]}')
        store = open_store(server.url, data_dir=tmp_path, version="1", username="hub", password="s3cret")
        assert isinstance(store, InfluxV1Store)
        store.write_encoded(b"light,device=a seq=1i 1\n")
    create, write = server.requests
    assert create.query["db"] == ["hamlet"]  # the default database
    assert write.query["db"] == ["hamlet"]
    assert write.headers["authorization"] == "Basic aHViOnMzY3JldA=="  # hub:s3cret
    with silent_server() as url:
        slow = open_store(url, data_dir=tmp_path, version="1", timeout=0.2)
        assert isinstance(slow, InfluxV1Store)
        with pytest.raises(StoreUnavailable, match="timed out"):
            slow.write_encoded(b"light,device=a seq=1i 1\n")


def test_https_is_an_influxdb_url(tmp_path: Path) -> None:
    store = open_store("https://db.example:8086", data_dir=tmp_path, version="1", database="zone")
    assert isinstance(store, InfluxV1Store)
    assert (store.url, store.database) == ("https://db.example:8086", "zone")


def test_detection_uses_the_timeout(tmp_path: Path) -> None:
    with silent_server() as url, pytest.raises(StoreUnavailable, match="timed out"):
        open_store(url, data_dir=tmp_path, timeout=0.2)


def test_not_influxdb_names_the_url_without_the_password(tmp_path: Path) -> None:
    with fake_server(Answer(404)) as server, pytest.raises(StoreUnavailable) as info:
        open_store(server.url.replace("//", "//admin:hunter2@"), data_dir=tmp_path)
    assert str(info.value) == f"{server.url}/ping answered HTTP 404; is this InfluxDB?"


def test_v2_gets_its_settings(tmp_path: Path) -> None:
    store = open_store("http://127.0.0.1:1", data_dir=tmp_path, version="2", token="t", org="o", database="zone")
    try:
        assert isinstance(store, InfluxV2Store)
        assert (store.org, store.bucket) == ("o", "zone")  # no bucket: the database's name
    finally:
        store.close()


def test_v2_missing_settings_are_named_exactly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^InfluxDB 2\.x needs `token` set$"):
        open_store("http://127.0.0.1:1", data_dir=tmp_path, version="2", org="o")
    with pytest.raises(ValueError, match=r"^InfluxDB 2\.x needs `org` set$"):
        open_store("http://127.0.0.1:1", data_dir=tmp_path, version="2", token="t")


def test_bad_url_and_bad_version_messages(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"sqlite://… or http\(s\)://…, got mysql://db/x$") as info:
        open_store("mysql://root:hunter2@db/x", data_dir=tmp_path)
    assert "hunter2" not in str(info.value)
    with pytest.raises(ValueError, match=r"^store version must be auto, 1 or 2, got '3'$"):
        open_store("http://x", data_dir=tmp_path, version="3")


def test_v2_gets_the_timeout(tmp_path: Path) -> None:
    with silent_server() as url:
        store = open_store(url, data_dir=tmp_path, version="2", token="t", org="o", timeout=0.2)
        try:
            with pytest.raises(StoreUnavailable, match="timed out"):
                store.write(light_points("light-001", 1_700_000_000_000, 1))
        finally:
            store.close()
