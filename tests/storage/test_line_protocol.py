from __future__ import annotations

import pytest

from hub.storage.base import FieldValue, Point
from hub.storage.line_protocol import chunks, encode_lines, escape_key, escape_measurement, field_value, line_protocol


def point(fields: dict[str, FieldValue], **kw: str) -> Point:
    base = {"measurement": "light", "site": "sonvi-khu10", "device": "light-001", "group": "road-1"}
    args = {**base, **kw}
    return Point(args["measurement"], args["site"], args["device"], args["group"], 1_700_000_000_123, fields)


def test_types_tags_sorted_and_ns_timestamp_of_ms_and_seq() -> None:
    line = line_protocol(point({"brightness": 80, "power_w": 31.5, "on": True, "mode": "auto", "off": False}))
    assert line == (
        "light,device=light-001,group=road-1,site=sonvi-khu10 "
        'brightness=80i,power_w=31.5,on=true,mode="auto",off=false 1700000000123000000'
    )


@pytest.mark.parametrize(
    ("seq", "ns_digits"), [(0, "000000"), (1, "000001"), (42, "000042"), (999_999, "999999"), (1_000_001, "000001")]
)
def test_seq_fills_the_sub_millisecond_digits(seq: int, ns_digits: str) -> None:
    p = point({"v": 1})
    line = line_protocol(Point(p.measurement, p.site, p.device, p.group, p.ts_ms, p.fields, seq))
    assert line.endswith(f" 1700000000123{ns_digits}")


def test_readings_in_one_millisecond_get_distinct_times_and_a_replay_the_same() -> None:
    p = point({"v": 1})
    times = {line_protocol(Point(p.measurement, p.site, p.device, p.group, p.ts_ms, p.fields, seq)).rsplit(" ", 1)[1]
             for seq in (*range(200), *range(200))}
    assert len(times) == 200
    assert all(t.startswith("1700000000123") for t in times)


def test_float_that_looks_like_int_stays_float() -> None:
    # The InfluxDB type must follow the Python type: a float never gets the `i` of an integer.
    assert " power_w=2.0 " in line_protocol(point({"power_w": 2.0}))
    assert " x=1e-05 " in line_protocol(point({"x": 0.00001}))


def test_measurement_escapes_comma_and_space_only() -> None:
    line = line_protocol(point({"v": 1}, measurement="a b,c=d"))
    assert line.startswith(r"a\ b\,c=d,device=")


def test_tag_values_and_field_keys_escape_comma_equals_space() -> None:
    line = line_protocol(point({"a b,c=d": 1}, group="x y,z=w"))
    assert r",group=x\ y\,z\=w," in line
    assert r" a\ b\,c\=d=1i " in line


def test_string_field_escapes_quote_and_backslash_and_keeps_newline() -> None:
    line = line_protocol(point({"msg": 'say "hi" \\ bye\nnext'}))
    assert ' msg="say \\"hi\\" \\\\ bye\nnext" ' in line


def test_empty_tag_is_left_out() -> None:
    assert line_protocol(point({"v": 1}, group="")).startswith("light,device=light-001,site=sonvi-khu10 ")


@pytest.mark.parametrize(
    ("fields", "kw", "named"),
    [
        ({}, {}, "no fields"),
        ({"v": float("nan")}, {}, "'v'"),
        ({"v": float("inf")}, {}, "'v'"),
        ({"v": 2**63}, {}, "'v'"),
        ({"v": 1}, {"device": "a\nb"}, "newline"),
        ({"v": 1}, {"measurement": ""}, "measurement"),
    ],
)
def test_unwritable_points_raise_naming_the_problem(
    fields: dict[str, FieldValue], kw: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        line_protocol(point(fields, **kw))


def test_encode_lines_joins_with_newlines() -> None:
    body = encode_lines([point({"v": 1}), point({"v": 2})])
    assert body.count(b"\n") == 1
    assert body.endswith(b" v=2i 1700000000123000000")


def test_chunks_cover_the_batch_in_order() -> None:
    pieces = list(chunks(list(range(7)), 3))
    assert pieces == [[0, 1, 2], [3, 4, 5], [6]]


# -- what mutation testing found unchecked: the escaping and bounds below the writer's caches ------------------


def test_escaping_functions_on_their_own() -> None:
    # Called directly: the writer's series-head and key caches hide them once a test has warmed the caches.
    assert escape_key("a,b=c d") == r"a\,b\=c\ d"
    assert escape_measurement("light x,y=z") == r"light\ x\,y=z"
    with pytest.raises(ValueError, match=r"^measurement must not be empty$"):
        escape_measurement("")
    for bad in ("a\nb", "a\rb"):
        with pytest.raises(ValueError, match=r"^measurement .* contains a newline"):
            escape_measurement(bad)
        with pytest.raises(ValueError, match=r"^tag key, tag value or field key .* contains a newline"):
            escape_key(bad)
    assert escape_key("plain") == "plain"


@pytest.mark.parametrize(("value", "text"), [(-(2**63), f"{-(2**63)}i"), (2**63 - 1, f"{2**63 - 1}i"), (2.5, "2.5"),
                                             (-0.0, "-0.0"), (True, "true"), (False, "false")])
def test_field_values_at_the_int64_edges_and_floats(value: FieldValue, text: str) -> None:
    assert field_value("v", value) == text
    head = Point("light", "s", "den-1", "", 1, {"v": value}, 0)
    assert line_protocol(head).split(" ")[1] == f"v={text}"


@pytest.mark.parametrize("value", [-(2**63) - 1, 2**63])
def test_ints_outside_int64_are_refused_by_both_paths(value: int) -> None:
    with pytest.raises(ValueError, match="does not fit a 64-bit integer"):
        field_value("v", value)
    with pytest.raises(ValueError, match="does not fit a 64-bit integer"):
        line_protocol(Point("light", "s", "den-1", "", 1, {"v": value}, 0))
