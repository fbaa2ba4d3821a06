from __future__ import annotations

import json

import pytest

from hub.storage.base import Bucket, Point, StoreUnavailable, TelemetryStore
from hub.storage.influx_v2 import InfluxV2Store, flux_string, flux_time, mean_flux
from hub.storage.line_protocol import encode_lines
from tests.storage.fakehttp import Answer, fake_server
from tests.storage.points import SITE, light_points, now_ms
from tests.support.procs import free_port
from tests.support.victoria import Series, Victoria

T0 = 1_700_000_040_000  # a multiple of 60 s


def v2_store(url: str, *, gzip: bool = False, batch_size: int = 5000) -> InfluxV2Store:
    return InfluxV2Store(
        url, "tok-123", "hamlet-org", "telemetry", timeout=5, gzip=gzip, batch_size=batch_size
    )


# -- pure: the Flux text ------------------------------------------------------------------------------------


def test_flux_time_keeps_every_millisecond() -> None:
    assert flux_time(0) == "1970-01-01T00:00:00.000Z"
    assert flux_time(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"
    assert flux_time(1_700_000_000_999) == "2023-11-14T22:13:20.999Z"


def test_flux_string_escapes_quote_backslash_and_interpolation() -> None:
    assert flux_string('a"b\\c${x}') == '"a\\"b\\\\c\\${x}"'


def test_mean_flux_text() -> None:
    assert mean_flux("telemetry", "light", "light-001", "power_w", T0, T0 + 600_000, 60_000) == (
        'from(bucket: "telemetry")\n'
        "  |> range(start: 2023-11-14T22:14:00.000Z, stop: 2023-11-14T22:24:00.000Z)\n"
        '  |> filter(fn: (r) => r._measurement == "light" and r.device == "light-001"'
        ' and r._field == "power_w")\n'
        "  |> group()\n"
        '  |> aggregateWindow(every: 60000ms, fn: mean, createEmpty: false, timeSrc: "_start")\n'
    )


@pytest.mark.parametrize("field", ['x" or true', "Power", ""])
def test_field_from_a_request_is_validated(field: str) -> None:
    with pytest.raises(ValueError, match="field"):
        mean_flux("telemetry", "light", "light-001", field, T0, T0 + 1, 1)


# -- against a fake server: exactly what goes over the wire -------------------------------------------------


@pytest.mark.parametrize("gzip", [False, True])
def test_write_request_is_exactly_what_influxdb2_expects(gzip: bool) -> None:
    points = light_points("light-001", T0, 3)
    with fake_server() as server:
        store = v2_store(server.url, gzip=gzip)
        store.write(points)
        store.close()
    (req,) = server.requests
    assert (req.method, req.path) == ("POST", "/api/v2/write")
    assert req.query == {"org": ["hamlet-org"], "bucket": ["telemetry"], "precision": ["ns"]}
    assert req.headers["authorization"] == "Token tok-123"
    assert req.headers.get("content-encoding") == ("gzip" if gzip else None)
    assert req.body == encode_lines(points)
    tags = f"light,device=light-001,group=road-1,site={SITE}"
    assert (
        req.body.decode().splitlines()[2] == f"{tags} seq=2i,brightness=2i,power_w=12.0,on=true {T0 + 2000}000002"
    )


def test_big_batches_are_split_into_several_posts() -> None:
    with fake_server() as server:
        store = v2_store(server.url, batch_size=40)
        store.write(light_points("light-001", T0, 100))
        store.close()
    assert [len(r.body.splitlines()) for r in server.requests] == [40, 40, 20]


@pytest.mark.parametrize("status", [400, 422])
def test_refused_data_raises_value_error(status: int) -> None:
    body = json.dumps({"code": "invalid", "message": "field type conflict on temperature_c"}).encode()
    with fake_server(Answer(status, {"Content-Type": "application/json"}, body)) as server:
        store = v2_store(server.url)
        with pytest.raises(ValueError, match=f"HTTP {status}.*temperature_c") as info:
            store.write(light_points("light-001", T0, 3))
        store.close()
    assert not isinstance(info.value, StoreUnavailable)


@pytest.mark.parametrize("status", [401, 404, 413, 429, 500, 503])
def test_any_refusal_raises_never_drops(status: int) -> None:
    body = json.dumps({"code": "x", "message": "refused by the test"}).encode()
    with fake_server(Answer(status, {"Content-Type": "application/json"}, body)) as server:
        store = v2_store(server.url)
        with pytest.raises(StoreUnavailable, match=f"HTTP {status}"):
            store.write(light_points("light-001", T0, 3))
        store.close()
        assert len(server.requests) == 1  # no hidden retry thread either


def test_connection_refused_raises() -> None:
    store = v2_store(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreUnavailable, match="/api/v2/write"):
        store.write(light_points("light-001", T0, 3))
    assert not store.ping()
    store.close()


def test_token_never_appears_in_the_error() -> None:
    with fake_server(Answer(401, body=b'{"code":"unauthorized","message":"unauthorized access"}')) as server:
        store = v2_store(server.url)
        with pytest.raises(StoreUnavailable) as info:
            store.write(light_points("light-001", T0, 1))
        store.close()
    assert "tok-123" not in str(info.value)
    assert "unauthorized access" in str(info.value)


FLUX_CSV = b"""\
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double
#group,false,false,false,false,false,false
#default,_result,,,,,
,result,table,_start,_stop,_time,_value
,,0,2023-11-14T22:14:00Z,2023-11-14T22:24:00Z,2023-11-14T22:15:00Z,99.5
,,0,2023-11-14T22:14:00Z,2023-11-14T22:24:00Z,2023-11-14T22:14:00Z,39.5

"""


def test_query_posts_flux_and_reads_buckets() -> None:
    with fake_server(Answer(200, {"Content-Type": "text/csv; charset=utf-8"}, FLUX_CSV)) as server:
        store = v2_store(server.url)
        buckets = store.query("light", "light-001", "power_w", T0, T0 + 600_000, 60_000)
        store.close()
    (req,) = server.requests
    assert (req.method, req.path, req.query) == ("POST", "/api/v2/query", {"org": ["hamlet-org"]})
    sent = json.loads(req.body)
    assert sent["query"] == mean_flux("telemetry", "light", "light-001", "power_w", T0, T0 + 600_000, 60_000)
    assert buckets == [Bucket(T0, 39.5), Bucket(T0 + 60_000, 99.5)]


def test_query_refused_raises() -> None:
    with fake_server(Answer(500, body=b'{"message":"boom"}')) as server:
        store = v2_store(server.url)
        with pytest.raises(StoreUnavailable, match="HTTP 500"):
            store.query("light", "light-001", "power_w", T0, T0 + 600_000, 60_000)
        store.close()


# -- against a real /api/v2/write (VictoriaMetrics) ---------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("gzip", [False, True])
def test_points_land_in_victoria_metrics(victoria: Victoria, gzip: bool) -> None:
    t0 = now_ms()
    store: TelemetryStore = v2_store(victoria.url, gzip=gzip, batch_size=2)
    store.write(light_points("light-001", t0, 3) + light_points("light-002", t0, 1, group="alley 2,b=c"))
    store.close()
    one = {"device": "light-001", "group": "road-1", "site": SITE}
    two = {"device": "light-002", "group": "alley 2,b=c", "site": SITE}
    times = [t0, t0 + 1000, t0 + 2000]
    assert victoria.export() == [
        Series("light_brightness", one, [0.0, 1.0, 2.0], times),
        Series("light_brightness", two, [0.0], [t0]),
        Series("light_on", one, [1.0, 0.0, 1.0], times),
        Series("light_on", two, [1.0], [t0]),
        Series("light_power_w", one, [10.0, 11.0, 12.0], times),
        Series("light_power_w", two, [10.0], [t0]),
        Series("light_seq", one, [0.0, 1.0, 2.0], times),
        Series("light_seq", two, [0.0], [t0]),
    ]


@pytest.mark.integration
def test_victoria_down_raises_then_accepts_after_restart(victoria: Victoria) -> None:
    t0 = now_ms()
    store = v2_store(victoria.url)
    victoria.stop()
    with pytest.raises(StoreUnavailable):
        store.write([Point("hub", SITE, "hub", "", t0, {"seq": 7})])
    victoria.start()
    store.write([Point("hub", SITE, "hub", "", t0, {"seq": 7})])
    store.close()
    assert victoria.export('{__name__="hub_seq"}') == [
        Series("hub_seq", {"device": "hub", "site": SITE}, [7.0], [t0])
    ]
