"""The InfluxDB write path through an outage, against a fake server: 500, then 429, then 204.

Outbox rows must stay until the store confirmed them, and every point must land once: a writer that
deleted rows before the write (or skipped a refused batch) fails here in a second, not in a two-minute
integration test.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hub.ingest.outbox import Outbox
from hub.ingest.writer import Housekeeping, Writer
from hub.metrics import HubMetrics
from hub.storage.base import StoreUnavailable
from hub.storage.influx_v1 import InfluxV1Store
from tests.storage.fakehttp import Answer, Recorded, fake_server
from tests.storage.points import light_points

T0 = 1_700_000_040_000
QUERY_OK = Answer(200, {"Content-Type": "application/json"}, b'{"results":[{"statement_id":0}]}')


def rows_in(path: Path) -> int:
    with sqlite3.connect(path) as db:
        count = int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
    db.close()
    return count


def test_outbox_rows_stay_until_the_store_confirms_and_each_point_lands_once(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    points = light_points("light-001", T0, 120)
    outbox.commit(points, [])
    metrics = HubMetrics()
    with fake_server() as server:
        server.answers["/query"] = QUERY_OK
        server.sequences["/write"] = [Answer(500, body=b'{"error":"boom"}'),
                                      Answer(429, body=b'{"error":"slow down"}')]  # then 204
        writer = Writer(outbox, InfluxV1Store(server.url, "hamlet"), metrics, batch=50)
        for status in (500, 429):
            with pytest.raises(StoreUnavailable, match=f"HTTP {status}"):
                writer.drain_once()
            assert rows_in(outbox.path) == outbox.depth() == 120  # nothing deleted on a refusal
            assert not writer.vitals.store_ok and f"HTTP {status}" in writer.vitals.store_detail
        while writer.drain_once():
            assert writer.vitals.store_ok
        assert rows_in(outbox.path) == outbox.depth() == 0
    writes = [r for r in server.requests if r.path == "/write"]
    assert len(writes) == 2 + 3  # two refusals, then three batches of 50, 50, 20
    landed = [line for r in writes[2:] for line in r.body.decode().splitlines()]
    stamps = [line.rsplit(" ", 1)[1] for line in landed]
    assert len(stamps) == len(set(stamps)) == 120  # every point once, each under its own key
    assert writes[0].body == writes[1].body == writes[2].body  # the refused batch is the one retried
    assert metrics.points_written.total() == 120
    outbox.close()


def test_one_poison_point_is_dead_lettered_and_the_rest_of_its_batch_written(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    points = light_points("light-001", T0, 1000)
    poison = 613
    outbox.commit(points, [])
    landed: set[str] = set()

    def influxd(request: Recorded) -> Answer | None:
        if request.path != "/write":
            return None
        lines = request.body.decode().splitlines()
        good = [line for line in lines if f" seq={poison}i," not in line]
        landed.update(good)  # influxd keeps the good lines of a partial write
        if len(good) < len(lines):
            return Answer(400, body=b'{"error":"partial write: field type conflict: input field \\"power_w\\" '
                                    b'on measurement \\"light\\" is type float, already exists as type string '
                                    b'dropped=1"}')
        return None

    with fake_server() as server:
        server.answers["/query"] = QUERY_OK
        server.respond = influxd
        writer = Writer(outbox, InfluxV1Store(server.url, "hamlet"), HubMetrics(), batch=5000)
        assert writer.drain_once() == 999
        assert writer.drain_once() == 0  # nothing retried: the outbox is empty
        writes = sum(1 for r in server.requests if r.path == "/write")
    assert outbox.depth() == rows_in(outbox.path) == 0
    assert len(landed) == 999 and not any(f" seq={poison}i," in line for line in landed)
    (letter,) = outbox.dead_letters()
    assert (letter.reason, letter.topic) == ("unstorable", "light/light-001")
    assert "power_w" in letter.detail and f'"seq": {poison}' in letter.payload.decode()
    assert writes <= 2 + 2 * 10  # halving: about two requests per level, not one per point
    assert writer.vitals.store_ok
    outbox.close()


def test_an_idle_writer_notices_a_store_that_stops_answering(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    free = [10 * 1024**3]
    with fake_server() as server:
        # every_s=0: each check pings, as one does after a few idle seconds
        writer = Writer(outbox, InfluxV1Store(server.url, "hamlet", timeout=2), HubMetrics(),
                        housekeeping=Housekeeping(every_s=0), free_bytes=lambda _p: free[0])
        server.answers["/ping"] = Answer(204)
        writer.check_vitals()
        assert writer.vitals.store_ok
        assert writer.vitals.disk_free_bytes == free[0] and not writer.vitals.disk_low
    # The server is gone now: no traffic, yet the next check sees it.
    free[0] = 50 * 1024**2  # and the disk fills
    writer.check_vitals()
    assert not writer.vitals.store_ok and "ping" in writer.vitals.store_detail
    assert writer.vitals.disk_low
    outbox.close()
