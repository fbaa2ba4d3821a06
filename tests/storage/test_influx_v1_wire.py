"""InfluxV1Store against a fake influxd 1.x: the error texts, the reads (query, count, influxql, ping) and the
recreation of a dropped database, each as influxd 1.x answers them, so the fast tests reach every path."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from hub.storage.base import Bucket, StoreUnavailable
from hub.storage.influx_v1 import InfluxV1Store, mean_query
from tests.storage.fakehttp import Answer, FakeServer, Recorded, fake_server, silent_server
from tests.storage.points import light_points
from tests.support.procs import free_port

T0 = 1_700_000_040_000
JSON = {"Content-Type": "application/json"}
CREATED = Answer(200, JSON, b'{"results":[{"statement_id":0}]}')
# Longer than the 300 characters an error message keeps of an answer: the cut shows in the message.
LONG = b"x" * 299 + b"yz" + b"w" * 100


def rows_answer(values: list[list[Any]]) -> Answer:
    """What influxd 1.x answers a SELECT with ?epoch=ms: one statement, one series."""
    series = [{"name": "light", "columns": ["time", "value"], "values": values}]
    return Answer(200, JSON, json.dumps({"results": [{"statement_id": 0, "series": series}]}).encode())


def statement(req: Recorded) -> str:
    """The InfluxQL statement of a recorded POST /query (it travels in the form body)."""
    return parse_qs(req.body.decode())["q"][0]


def selects(server: FakeServer) -> list[Recorded]:
    return [r for r in server.requests if r.path == "/query" and statement(r).startswith("SELECT")]


# -- the statement's answer: errors in it, its rows ---------------------------------------------------------


def test_create_refused_names_the_statement_and_cuts_the_body_at_300() -> None:
    with fake_server(Answer(500, body=LONG)) as server, pytest.raises(StoreUnavailable) as info:
        InfluxV1Store(server.url, "zone").write(light_points("light-001", T0, 1))
    assert str(info.value) == f'{server.url}: CREATE DATABASE "zone": HTTP 500: {LONG[:300]!r}'
    assert [r.path for r in server.requests] == ["/query"]


def test_a_2xx_that_is_not_json_is_quoted_up_to_300_bytes() -> None:
    page = Answer(200, {"Content-Type": "text/html"}, LONG)
    with fake_server(page) as server, pytest.raises(StoreUnavailable) as info:
        InfluxV1Store(server.url, "zone").influxql('SELECT * FROM "light"')
    assert str(info.value) == f"{server.url}/query: unexpected answer {LONG[:300]!r}"


def test_an_error_inside_the_statement_result_raises_with_its_text() -> None:
    # influxd answers 200 with the statement's error inside the result, e.g. for a user without the right.
    body = b'{"results":[{"statement_id":0,"error":"requires admin privilege"}]}'
    with fake_server(Answer(200, JSON, body)) as server, pytest.raises(StoreUnavailable) as info:
        InfluxV1Store(server.url, "zone").write(light_points("light-001", T0, 1))
    assert str(info.value) == f'{server.url}: CREATE DATABASE "zone": requires admin privilege'
    assert [r.path for r in server.requests] == ["/query"]  # nothing written without the database


def test_influxql_returns_the_rows_of_the_first_series() -> None:
    with fake_server(rows_answer([[T0, 1.5], [T0 + 1000, None]])) as server:
        rows = InfluxV1Store(server.url, "zone").influxql('SELECT "v" FROM "light"')
    assert rows == [[T0, 1.5], [T0 + 1000, None]]
    (req,) = server.requests
    assert (req.method, req.path, req.query) == ("POST", "/query", {"db": ["zone"], "epoch": ["ms"]})
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert statement(req) == 'SELECT "v" FROM "light"'


def test_a_result_without_series_is_no_rows() -> None:
    # What influxd answers a SELECT that matched nothing: the statement, no "series" key.
    with fake_server(CREATED) as server:
        assert InfluxV1Store(server.url, "zone").influxql('SELECT "v" FROM "light"') == []


def test_a_series_without_values_is_no_rows() -> None:
    body = b'{"results":[{"statement_id":0,"series":[{"name":"light","columns":["time","v"]}]}]}'
    with fake_server(Answer(200, JSON, body)) as server:
        assert InfluxV1Store(server.url, "zone").influxql('SELECT "v" FROM "light"') == []


# -- query and count: the statement sent, the rows read -----------------------------------------------------


def test_query_sends_the_mean_statement_and_reads_buckets() -> None:
    with fake_server(CREATED) as server:
        server.respond = lambda r: rows_answer([[T0, 39.5], [T0 + 60_000, 99]]) if r.query.get("epoch") else None
        buckets = InfluxV1Store(server.url, "zone").query("light", "light-001", "power_w", T0, T0 + 600_000, 60_000)
    assert buckets == [Bucket(T0, 39.5), Bucket(T0 + 60_000, 99.0)]
    assert all(type(b.ts_ms) is int and type(b.value) is float for b in buckets)
    create, select = server.requests
    assert statement(create) == 'CREATE DATABASE "zone"'
    assert create.query == {"db": ["zone"]}  # no epoch for a statement that returns no times
    assert select.query == {"db": ["zone"], "epoch": ["ms"]}
    assert statement(select) == mean_query("light", "light-001", "power_w", T0, T0 + 600_000, 60_000)


def test_query_keeps_an_empty_bucket_as_none() -> None:
    with fake_server(rows_answer([[T0, None]])) as server:
        store = InfluxV1Store(server.url, "zone")
        assert store.query("light", "light-001", "power_w", T0, T0 + 60_000, 60_000) == [Bucket(T0, None)]


def test_query_refused_raises() -> None:
    with fake_server(CREATED) as server:
        server.respond = lambda r: Answer(500, body=b"boom") if r.query.get("epoch") else None
        with pytest.raises(StoreUnavailable) as info:
            InfluxV1Store(server.url, "zone").query("light", "light-001", "power_w", T0, T0 + 60_000, 60_000)
    assert str(info.value) == f"{server.url}/query: HTTP 500: b'boom'"


def test_query_checks_the_field_before_sending_anything() -> None:
    with fake_server(CREATED) as server, pytest.raises(ValueError, match="field"):
        InfluxV1Store(server.url, "zone").query("light", "light-001", "Power", T0, T0 + 1, 1)
    assert server.requests == []


@pytest.mark.parametrize(
    ("device", "text"),
    [
        (None, 'SELECT count("seq") FROM "light"'),
        ("light-0'2", 'SELECT count("seq") FROM "light" WHERE "device" = \'light-0\\\'2\''),
    ],
)
def test_count_statement_and_result(device: str | None, text: str) -> None:
    with fake_server(CREATED) as server:
        server.respond = lambda r: rows_answer([[0, 230]]) if r.query.get("epoch") else None
        assert InfluxV1Store(server.url, "zone").count("light", device) == 230
    (select,) = selects(server)
    assert statement(select) == text
    assert [statement(r) for r in server.requests] == ['CREATE DATABASE "zone"', text]


def test_count_of_another_field_and_of_nothing() -> None:
    with fake_server(CREATED) as server:
        assert InfluxV1Store(server.url, "zone").count("event", field="level") == 0
    (select,) = selects(server)
    assert statement(select) == 'SELECT count("level") FROM "event"'


def test_count_checks_the_field() -> None:
    with fake_server(CREATED) as server, pytest.raises(ValueError, match="field"):
        InfluxV1Store(server.url, "zone").count("light", field='x") FROM secrets --')


# -- writes: headers, a database dropped behind our back, error texts ----------------------------------------


def test_write_sends_line_protocol_as_utf8_text() -> None:
    with fake_server() as server:
        server.answers["/query"] = CREATED
        InfluxV1Store(server.url, "zone").write(light_points("light-001", T0, 1))
    write = server.requests[-1]
    assert write.path == "/write"
    assert write.headers["content-type"] == "text/plain; charset=utf-8"


def test_database_not_found_creates_it_again_and_posts_the_same_body() -> None:
    with fake_server() as server:
        server.answers["/query"] = CREATED
        server.sequences["/write"] = [Answer(404, JSON, b'{"error":"database not found: \\"zone\\""}')]
        InfluxV1Store(server.url, "zone").write(light_points("light-001", T0, 3))
    assert [r.path for r in server.requests] == ["/query", "/write", "/query", "/write"]
    assert statement(server.requests[2]) == 'CREATE DATABASE "zone"'
    first, again = server.requests[1], server.requests[3]
    assert again.body == first.body
    assert len(again.body.splitlines()) == 3


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b"404 page not found"),  # a proxy's or another server's 404: not influxd's database
        (405, b'{"error":"database not found: \\"zone\\""}'),
        (500, b'{"error":"database not found: \\"zone\\""}'),
    ],
)
def test_other_refusals_are_not_retried(status: int, body: bytes) -> None:
    with fake_server(Answer(status, body=body)) as server:
        server.answers["/query"] = CREATED
        with pytest.raises(StoreUnavailable) as info:
            InfluxV1Store(server.url, "zone").write(light_points("light-001", T0, 1))
    assert [r.path for r in server.requests] == ["/query", "/write"]
    assert str(info.value) == f"{server.url}/write: HTTP {status}: {body!r}"


def test_write_refusal_quotes_the_first_300_bytes() -> None:
    with fake_server(Answer(503, body=LONG)) as server:
        server.answers["/query"] = CREATED
        with pytest.raises(StoreUnavailable) as info:
            InfluxV1Store(server.url, "zone").write(light_points("light-001", T0, 1))
    assert str(info.value) == f"{server.url}/write: HTTP 503: {LONG[:300]!r}"


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (
            b'{"error":"unable to parse \'light x=\': missing field value"}',
            "unable to parse 'light x=': missing field value",
        ),
        (json.dumps({"error": "e" * 299 + "fg" + "h" * 50}).encode(), "e" * 299 + "f"),  # cut at 300
        (b'{"code":"invalid"}', repr(b'{"code":"invalid"}')),  # JSON without "error": quoted as it came
        (b"<html>bad request</html>", repr(b"<html>bad request</html>")),  # not JSON
        (b'"just a string"', repr(b'"just a string"')),  # JSON, but not an object
        (LONG, repr(LONG[:300])),
    ],
)
def test_refused_data_message_is_influxdb_error_text(body: bytes, shown: str) -> None:
    with fake_server(Answer(400, body=body)) as server:
        server.answers["/query"] = CREATED
        with pytest.raises(ValueError) as info:
            InfluxV1Store(server.url, "zone").write(light_points("light-001", T0, 1))
    assert str(info.value) == f"{server.url}/write refused the data: HTTP 400: {shown}"


# -- defaults, timeout, ping --------------------------------------------------------------------------------


def test_default_batch_is_5000_points_per_post() -> None:
    with fake_server() as server:
        server.answers["/query"] = CREATED
        InfluxV1Store(server.url, "zone").write(light_points("light-001", T0, 5001))
    writes = [r for r in server.requests if r.path == "/write"]
    assert [len(r.body.splitlines()) for r in writes] == [5000, 1]


def test_the_timeout_bounds_a_store_that_never_answers() -> None:
    # The silent server drops the connection after 3 s; a 0.3 s timeout must end the wait first.
    with silent_server(close_after_s=3.0) as url, pytest.raises(StoreUnavailable, match="timed out"):
        InfluxV1Store(url, "zone", timeout=0.3).write(light_points("light-001", T0, 1))


def test_ping_asks_ping_and_says_what_it_got() -> None:
    with fake_server(Answer(404)) as server:
        server.answers["/ping"] = Answer(204, {"X-Influxdb-Version": "1.8.10"})
        assert InfluxV1Store(server.url, "zone").ping()
        server.answers["/ping"] = Answer(503)
        assert not InfluxV1Store(server.url, "zone").ping()
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/ping"), ("GET", "/ping")]


def test_ping_of_nothing_listening_is_false() -> None:
    assert not InfluxV1Store(f"http://127.0.0.1:{free_port()}", "zone").ping()
