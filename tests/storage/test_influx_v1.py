from __future__ import annotations

import pytest

from hub.storage.base import Bucket, Point, StoreUnavailable, TelemetryStore
from hub.storage.factory import detect_version, open_store
from hub.storage.influx_v1 import InfluxV1Store, mean_query, quote_ident, quote_string
from tests.storage.fakehttp import Answer, fake_server
from tests.storage.points import SITE, light_points, now_ms
from tests.support.influxd import InfluxD

T0 = 1_700_000_040_000  # a multiple of 60 s


# -- pure: the InfluxQL text --------------------------------------------------------------------------------


def test_mean_query_text() -> None:
    assert mean_query("light", "light-001", "power_w", T0, T0 + 600_000, 60_000) == (
        'SELECT mean("power_w") FROM "light" WHERE "device" = \'light-001\' '
        f"AND time >= {T0}ms AND time < {T0 + 600_000}ms GROUP BY time(60000ms) fill(none)"
    )


def test_quoting() -> None:
    assert quote_ident('a"b\\c') == '"a\\"b\\\\c"'
    assert quote_string("it's \\ here") == "'it\\'s \\\\ here'"


@pytest.mark.parametrize("field", ['x") FROM secrets --', "Power", "1st", ""])
def test_field_from_a_request_is_validated(field: str) -> None:
    with pytest.raises(ValueError, match="field"):
        mean_query("light", "light-001", field, T0, T0 + 1, 1)


# -- against a fake server: what goes over the wire ---------------------------------------------------------


QUERY_OK = Answer(200, {"Content-Type": "application/json"}, b'{"results":[{"statement_id":0}]}')


def test_first_write_creates_the_database_then_posts_lines() -> None:
    with fake_server() as server:
        server.answers["/query"] = QUERY_OK
        store = InfluxV1Store(server.url, "zone", "hub", "s3cret")
        store.write(light_points("light-001", T0, 2))
        store.write(light_points("light-001", T0, 1))
    create, req, _ = server.requests
    assert (create.method, create.path, create.query) == ("POST", "/query", {"db": ["zone"]})
    assert create.body == b"q=CREATE+DATABASE+%22zone%22"
    assert (req.method, req.path) == ("POST", "/write")
    assert req.query == {"db": ["zone"], "precision": ["ns"]}
    assert req.headers["authorization"] == "Basic aHViOnMzY3JldA=="  # hub:s3cret
    tags = f"light,device=light-001,group=road-1,site={SITE}"
    assert req.body.decode().splitlines() == [
        f"{tags} seq=0i,brightness=0i,power_w=10.0,on=true {T0}000000",
        f"{tags} seq=1i,brightness=1i,power_w=11.0,on=false {T0 + 1000}000001",
    ]


def test_credentials_in_the_url_are_used_and_never_shown() -> None:
    with fake_server(Answer(500)) as server:
        server.answers["/query"] = QUERY_OK
        url = server.url.replace("http://", "http://hub:s3cret@")
        with pytest.raises(StoreUnavailable) as info:
            InfluxV1Store(url, "zone").write(light_points("light-001", T0, 1))
    assert server.requests[-1].headers["authorization"] == "Basic aHViOnMzY3JldA=="
    assert "s3cret" not in str(info.value)
    assert server.url in str(info.value)


def test_big_batches_are_split_into_several_posts() -> None:
    with fake_server() as server:
        server.answers["/query"] = QUERY_OK
        store = InfluxV1Store(server.url, "zone", batch_size=40)
        store.write(light_points("light-001", T0, 100))
    writes = [r for r in server.requests if r.path == "/write"]
    assert [len(r.body.splitlines()) for r in writes] == [40, 40, 20]


@pytest.mark.parametrize("status", [401, 403, 413, 429, 500, 503])
def test_any_refusal_raises_and_never_drops(status: int) -> None:
    with fake_server(Answer(status, body=b'{"error":"nope"}')) as server:
        server.answers["/query"] = QUERY_OK
        store = InfluxV1Store(server.url, "zone")
        with pytest.raises(StoreUnavailable, match=f"HTTP {status}"):
            store.write(light_points("light-001", T0, 3))


def test_refused_data_raises_value_error_naming_the_field() -> None:
    # What influxd 1.x answers for a field written with another type than it has: no retry can succeed,
    # so the writer must dead-letter the point instead of retrying the batch forever.
    conflict = (b'{"error":"partial write: field type conflict: input field \\"temperature_c\\" on measurement '
                b'\\"light\\" is type float, already exists as type string dropped=1"}')
    with fake_server(Answer(400, body=conflict)) as server:
        server.answers["/query"] = QUERY_OK
        with pytest.raises(ValueError, match="temperature_c") as info:
            InfluxV1Store(server.url, "zone").write(light_points("light-001", T0, 3))
    assert not isinstance(info.value, StoreUnavailable)


def test_a_2xx_that_is_not_influxdb_json_raises() -> None:
    with fake_server(Answer(200, {"Content-Type": "text/html"}, b"<html>login</html>")) as server:
        store = InfluxV1Store(server.url, "zone")
        with pytest.raises(StoreUnavailable, match="unexpected answer"):
            store.write(light_points("light-001", T0, 1))
        assert [r.path for r in server.requests] == ["/query"]  # nothing written without a database


def test_empty_batch_sends_nothing() -> None:
    with fake_server() as server:
        InfluxV1Store(server.url, "zone").write([])
    assert server.requests == []


# -- against a real influxd 1.x -----------------------------------------------------------------------------


@pytest.mark.integration
def test_is_a_telemetry_store_and_pings(influxd: InfluxD) -> None:
    store: TelemetryStore = InfluxV1Store(influxd.url, "hamlet")
    assert store.name == "influxdb1"
    assert store.ping()
    store.close()


@pytest.mark.integration
def test_write_query_count_on_real_influxd(influxd: InfluxD) -> None:
    store = InfluxV1Store(influxd.url, "hamlet", batch_size=1000)
    store.write(
        light_points("light-001", T0, 200) + light_points("light-002", T0, 30)
    )  # db created on the fly
    assert store.count("light") == 230
    assert store.count("light", "light-002") == 30
    # power_w = 10 + i at T0 + i s: means 39.5, 99.5, 159.5, and minute 3 has 180..199.
    assert store.query("light", "light-001", "power_w", T0, T0 + 600_000, 60_000) == [
        Bucket(T0, 39.5),
        Bucket(T0 + 60_000, 99.5),
        Bucket(T0 + 120_000, 159.5),
        Bucket(T0 + 180_000, 199.5),
    ]
    assert store.query("light", "light-001", "power_w", T0 + 3_600_000, T0 + 7_200_000, 60_000) == []


@pytest.mark.integration
def test_replay_does_not_duplicate_and_escaping_round_trips(influxd: InfluxD) -> None:
    store = InfluxV1Store(influxd.url, "hamlet")
    odd = Point("event", SITE, "cam-01", "gate a,b=c", T0, {"note": 'he said "hi"\\ \nok', "level": 3})
    points = [*light_points("light-001", T0, 500), odd]
    store.write(points)
    store.write(points[100:300])
    store.write(points)
    assert store.count("light") == 500
    rows = store.influxql('SELECT "note", "group", "level" FROM "event"')
    assert rows == [[T0, 'he said "hi"\\ \nok', "gate a,b=c", 3]]


@pytest.mark.integration
def test_stopped_store_raises_then_works_after_restart(influxd: InfluxD) -> None:
    store = InfluxV1Store(influxd.url, "hamlet")
    store.write(light_points("light-001", T0, 10))
    influxd.stop()
    assert not store.ping()
    with pytest.raises(StoreUnavailable, match=influxd.url):
        store.write(light_points("light-001", T0 + 10_000, 10))
    with pytest.raises(StoreUnavailable):
        store.query("light", "light-001", "seq", T0, T0 + 60_000, 60_000)
    influxd.start()
    store.write(light_points("light-001", T0 + 10_000, 10))  # the retried batch lands
    assert store.count("light", "light-001") == 20  # and the first batch survived the restart


@pytest.mark.integration
def test_database_dropped_behind_our_back_is_created_again(influxd: InfluxD) -> None:
    store = InfluxV1Store(influxd.url, "hamlet")
    store.write(light_points("light-001", T0, 5))
    store.influxql('DROP DATABASE "hamlet"')
    store.write(light_points("light-001", T0, 7))
    assert store.count("light") == 7


@pytest.mark.integration
def test_version_detected_from_real_ping(influxd: InfluxD, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert detect_version(influxd.url) == "1"
    store = open_store(influxd.url, data_dir=tmp_path_factory.mktemp("data"))
    assert isinstance(store, InfluxV1Store)
    store.write(light_points("light-001", now_ms(), 3))
    assert store.count("light") == 3


@pytest.mark.integration
def test_readings_sharing_a_millisecond_keep_apart_on_real_influxd(influxd: InfluxD) -> None:
    store = InfluxV1Store(influxd.url, "hamlet")
    same_ms = [Point("light", SITE, "light-001", "road-1", T0, {"seq": i, "power_w": float(i)}, i) for i in range(200)]
    store.write(same_ms)
    store.write(same_ms[20:90])  # a redelivery overwrites itself
    assert store.count("light", "light-001") == 200
    # The sub-millisecond digits stay inside the millisecond: the buckets and windows in ms still hold them.
    assert store.query("light", "light-001", "power_w", T0, T0 + 1, 1) == [Bucket(T0, 99.5)]
    assert store.query("light", "light-001", "power_w", T0 + 1, T0 + 2, 1) == []
