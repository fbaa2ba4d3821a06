"""InfluxV2Store against a fake InfluxDB 2: error texts, defaults, the timeout, ping and the buckets read back,
each answered as InfluxDB 2 answers the requests influxdb-client sends."""

from __future__ import annotations

import json

import pytest

from hub.storage.base import Bucket, StoreUnavailable
from hub.storage.influx_v2 import InfluxV2Store
from tests.storage.fakehttp import Answer, fake_server, silent_server
from tests.storage.points import light_points
from tests.support.procs import free_port

T0 = 1_700_000_040_000  # 2023-11-14T22:14:00Z
CSV = {"Content-Type": "text/csv; charset=utf-8"}
HEAD = b"""\
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double
#group,false,false,false,false,false,false
#default,_result,,,,,
,result,table,_start,_stop,_time,_value
"""


def store_at(url: str, **options: float | bool | int) -> InfluxV2Store:
    return InfluxV2Store(url, "tok-123", "hamlet-org", "telemetry", **options)  # type: ignore[arg-type]


def test_defaults_post_plain_bodies_of_5000_points() -> None:
    with fake_server() as server:
        store = store_at(server.url)
        store.write(light_points("light-001", T0, 5001))
        store.close()
    assert [len(r.body.splitlines()) for r in server.requests] == [5000, 1]
    assert all("content-encoding" not in r.headers for r in server.requests)


def test_error_message_names_the_url_without_credentials_and_cuts_the_body_at_300() -> None:
    message = "m" * 280 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    with fake_server(
        Answer(503, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode())
    ) as server:
        store = store_at(server.url.replace("http://", "http://hub:s3cret@"))
        with pytest.raises(StoreUnavailable) as info:
            store.write(light_points("light-001", T0, 1))
        store.close()
    text = str(info.value)
    prefix = f"{server.url}/api/v2/write: HTTP 503: "
    assert text.startswith(prefix)
    shown = text[len(prefix) :]
    assert len(shown) == 300
    assert shown == json.dumps({"message": message})[:300]
    assert "s3cret" not in text


def test_nothing_listening_names_the_failure_class() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    store = store_at(url)
    with pytest.raises(StoreUnavailable) as info:
        store.write(light_points("light-001", T0, 1))
    store.close()
    text = str(info.value)
    assert text.startswith(f"{url}/api/v2/write: NewConnectionError: ")
    assert "Connection refused" in text


def test_the_timeout_bounds_a_store_that_never_answers() -> None:
    # The silent server drops the connection after 3 s; the 0.3 s timeout (in ms for the library) ends first.
    with silent_server(close_after_s=3.0) as url:
        store = store_at(url, timeout=0.3)
        with pytest.raises(StoreUnavailable) as info:
            store.write(light_points("light-001", T0, 1))
        store.close()
    assert "timed out" in str(info.value)


def test_ping_asks_ping() -> None:
    with fake_server(Answer(404)) as server:
        server.answers["/ping"] = Answer(204, {"X-Influxdb-Version": "v2.7.4", "X-Influxdb-Build": "OSS"})
        store = store_at(server.url)
        assert store.ping() is True
        store.close()
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/ping")]


def test_query_reads_integer_times_and_empty_values() -> None:
    rows = (
        b",,0,2023-11-14T22:14:00Z,2023-11-14T22:24:00Z,2023-11-14T22:15:00Z,\n"
        b",,0,2023-11-14T22:14:00Z,2023-11-14T22:24:00Z,2023-11-14T22:14:00.0005Z,39.5\n\n"
    )
    with fake_server(Answer(200, CSV, HEAD + rows)) as server:
        store = store_at(server.url)
        buckets = store.query("light", "light-001", "power_w", T0, T0 + 600_000, 60_000)
        store.close()
    # A time inside a millisecond is that millisecond: bucket times are whole ms, as the API shows them.
    assert buckets == [Bucket(T0, 39.5), Bucket(T0 + 60_000, None)]
    assert [type(b.ts_ms) for b in buckets] == [int, int]
