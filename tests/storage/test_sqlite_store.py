from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import cast

import pytest

from hub.ingest.outbox import Outbox
from hub.storage.base import Bucket, FieldValue, Point, TelemetryStore
from hub.storage.sqlite_store import SQLiteStore
from tests.storage.points import SITE, light_points

T0 = 1_700_000_040_000  # a multiple of 60 s, so minute buckets start at T0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "telemetry.sqlite3")
    yield s
    s.close()


def test_is_a_telemetry_store(store: SQLiteStore) -> None:
    checked: TelemetryStore = store  # mypy checks the protocol
    assert checked.name == "sqlite"
    assert store.ping()


def test_write_then_count_and_seqs(store: SQLiteStore) -> None:
    store.write(light_points("light-001", T0, 50) + light_points("light-002", T0, 20))
    assert store.count("light") == 70
    assert store.count("light", "light-002") == 20
    assert store.seqs("light", "light-001") == list(range(50))


def test_replay_overwrites_instead_of_duplicating(store: SQLiteStore) -> None:
    points = light_points("light-001", T0, 100)
    store.write(points)
    store.write(points[40:])  # the writer crashed after the store committed, then replayed part of it
    store.write(points)
    assert store.count("light") == 100
    assert store.seqs("light", "light-001") == list(range(100))


def test_same_key_merges_fields_later_value_wins(store: SQLiteStore) -> None:
    store.write([Point("light", SITE, "light-001", "road-1", T0, {"power_w": 1.0, "seq": 1})])
    store.write([Point("light", SITE, "light-001", "road-1", T0, {"power_w": 2.0, "brightness": 9})])
    assert store.count("light") == 1
    assert store.query("light", "light-001", "power_w", T0, T0 + 1, 1000) == [Bucket(T0, 2.0)]
    assert store.query("light", "light-001", "seq", T0, T0 + 1, 1000) == [Bucket(T0, 1.0)]


def test_other_tags_make_other_points(store: SQLiteStore) -> None:
    store.write(
        light_points("light-001", T0, 3, group="road-1") + light_points("light-001", T0, 3, group="alley-2")
    )
    assert store.count("light", "light-001") == 6


def test_query_means_per_bucket_oldest_first_empty_buckets_out(store: SQLiteStore) -> None:
    # power_w = 10 + i at T0 + i s: 0..59 in minute 0, 60..89 in minute 1, nothing in minute 2, 180..199 in 3.
    points = light_points("light-001", T0, 200)
    store.write([p for p in points if not 90 <= (p.ts_ms - T0) // 1000 < 180])
    store.write(light_points("light-999", T0, 200))  # another device: must not leak into the means
    buckets = store.query("light", "light-001", "power_w", T0, T0 + 600_000, 60_000)
    assert buckets == [
        Bucket(T0, 10 + 29.5),
        Bucket(T0 + 60_000, 10 + 74.5),
        Bucket(T0 + 180_000, 10 + 189.5),
    ]


def test_query_window_is_half_open(store: SQLiteStore) -> None:
    store.write(light_points("light-001", T0, 10))
    buckets = store.query("light", "light-001", "seq", T0 + 2000, T0 + 5000, 1000)
    assert buckets == [Bucket(T0 + 2000, 2.0), Bucket(T0 + 3000, 3.0), Bucket(T0 + 4000, 4.0)]


def test_query_skips_non_numeric_values(store: SQLiteStore) -> None:
    store.write(
        [
            Point("camera", SITE, "cam-1", "gate", T0, {"status": "ok", "fps": 10}),
            Point("camera", SITE, "cam-1", "gate", T0 + 1, {"status": "ok", "fps": 20}),
        ]
    )
    assert store.query("camera", "cam-1", "status", T0, T0 + 1000, 1000) == []
    assert store.query("camera", "cam-1", "fps", T0, T0 + 1000, 1000) == [Bucket(T0, 15.0)]


@pytest.mark.parametrize("field", ["power_w; DROP TABLE points", "Power", 'a"b', "", "x" * 65])
def test_query_rejects_bad_field_names(store: SQLiteStore, field: str) -> None:
    with pytest.raises(ValueError, match="field"):
        store.query("light", "light-001", field, T0, T0 + 1000, 1000)


def test_query_rejects_bad_windows(store: SQLiteStore) -> None:
    with pytest.raises(ValueError, match="every_ms"):
        store.query("light", "light-001", "seq", T0, T0 + 1000, 0)
    with pytest.raises(ValueError, match="until_ms"):
        store.query("light", "light-001", "seq", T0, T0, 1000)


def test_a_bad_point_rolls_back_the_whole_batch(store: SQLiteStore) -> None:
    points = [
        *light_points("light-001", T0, 5),
        Point("light", SITE, "light-001", "road-1", T0 + 9, {"v": float("nan")}),
    ]
    with pytest.raises(ValueError, match="light/light-001"):
        store.write(points)
    assert store.count("light") == 0


def test_a_failure_inside_the_transaction_rolls_back_rows_already_inserted(store: SQLiteStore) -> None:
    store.write(light_points("light-001", T0, 5))
    # The sixth row breaks a NOT NULL constraint after five rows went in: none of the batch may stay.
    broken = Point("light", SITE, cast(str, None), "road-1", T0, {"v": 1})
    with pytest.raises(sqlite3.IntegrityError):
        store.write([*light_points("light-002", T0, 5), broken])
    assert store.count("light") == 5
    store.write(light_points("light-002", T0, 5))  # and the store still takes the next batch
    assert store.count("light") == 10


def test_data_survives_reopen_and_file_is_wal(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "telemetry.sqlite3"
    first = SQLiteStore(path)
    first.write(light_points("light-001", T0, 30))
    first.close()
    second = SQLiteStore(path)
    try:
        assert second.seqs("light", "light-001") == list(range(30))
    finally:
        second.close()
    with sqlite3.connect(path) as conn:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    assert mode == "wal"


def test_writer_and_reader_threads_run_together(store: SQLiteStore) -> None:
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                store.query("light", "light-001", "power_w", T0, T0 + 10**9, 60_000)
                store.count("light")
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for batch in range(20):
            store.write(light_points("light-001", T0 + batch * 250_000, 250))
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert store.count("light") == 5000


def test_readings_sharing_a_millisecond_are_kept_apart_by_seq(store: SQLiteStore) -> None:
    # A device with a seconds clock or a frozen one: many readings, one timestamp, distinct seqs.
    same_ms = [Point("light", SITE, "light-001", "road-1", T0, {"seq": i, "power_w": float(i)}, i) for i in range(200)]
    store.write(same_ms)
    store.write(same_ms[50:120])  # a redelivery lands on itself
    assert store.count("light", "light-001") == 200
    assert store.seqs("light", "light-001") == list(range(200))
    assert store.query("light", "light-001", "power_w", T0, T0 + 1, 1000) == [Bucket(T0, 99.5)]


def test_a_file_from_before_seq_joined_the_key_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE points (measurement TEXT NOT NULL, device TEXT NOT NULL, ts INTEGER NOT NULL, "
            "site TEXT NOT NULL, grp TEXT NOT NULL, fields TEXT NOT NULL, "
            "PRIMARY KEY (measurement, device, ts, site, grp)) WITHOUT ROWID"
        )
        old.execute("INSERT INTO points VALUES ('light', 'light-001', ?, ?, 'road-1', '{\"seq\": 7, \"v\": 1}')",
                    (T0, SITE))
        old.execute("INSERT INTO points VALUES ('availability', 'light-001', ?, ?, 'road-1', '{\"online\": true}')",
                    (T0, SITE))
    old.close()
    store = SQLiteStore(path)
    try:
        assert store.seqs("light", "light-001") == [7]
        assert store.count("availability") == 1
        store.write([Point("light", SITE, "light-001", "road-1", T0, {"seq": 8, "v": 2}, 8)])  # same ms, kept
        assert store.seqs("light", "light-001") == [7, 8]
    finally:
        store.close()


# -- the outbox fast path, odd inputs, a closed store ---------------------------------------------------------


def test_copy_from_outbox_moves_rows_up_to_the_id_and_attaches_once(tmp_path: Path, store: SQLiteStore) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        outbox.commit(light_points("light-001", T0, 10), [])
        last_id, _ = outbox.batch_end(4)
        store.copy_from_outbox(outbox.path, last_id)
        assert store.seqs("light", "light-001") == [0, 1, 2, 3]
        last_id, _ = outbox.batch_end(10)
        store.copy_from_outbox(outbox.path, last_id)  # the outbox is attached already: no second ATTACH
        store.copy_from_outbox(outbox.path, last_id)  # a replay of the same rows lands on itself
    finally:
        outbox.close()
    assert store.seqs("light", "light-001") == list(range(10))
    assert store.count("light") == 10
    assert store.query("light", "light-001", "power_w", T0, T0 + 10_000, 10_000) == [Bucket(T0, 14.5)]


def test_copy_from_outbox_leaves_the_outbox_writable(tmp_path: Path, store: SQLiteStore) -> None:
    # A deferred BEGIN: the copy only reads the outbox, so the ingest committer may hold the outbox's write
    # lock meanwhile. BEGIN IMMEDIATE would take the attached outbox's write lock too and wait here (30 s,
    # then "database is locked").
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    committer = sqlite3.connect(outbox.path, isolation_level=None)
    try:
        outbox.commit(light_points("light-001", T0, 3), [])
        committer.execute("BEGIN IMMEDIATE")
        store.copy_from_outbox(outbox.path, 3)
        committer.execute("COMMIT")
    finally:
        committer.close()
        outbox.close()
    assert store.seqs("light", "light-001") == [0, 1, 2]


def test_a_bad_outbox_row_raises_and_copies_nothing(tmp_path: Path, store: SQLiteStore) -> None:
    # The first row is new, the second lands on a stored point and its fields are not JSON: json_patch fails,
    # and the whole copy is rolled back (the writer then takes the point-by-point path).
    store.write([light_points("light-002", T0, 1)[0]])
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        outbox.commit([light_points("light-001", T0, 1)[0], light_points("light-002", T0, 1)[0]], [])
        conn = sqlite3.connect(outbox.path)
        conn.execute("UPDATE outbox SET fields = 'not json' WHERE id = 2")
        conn.commit()
        conn.close()
        with pytest.raises(sqlite3.OperationalError, match="malformed JSON"):
            store.copy_from_outbox(outbox.path, 2)
    finally:
        outbox.close()
    assert store.count("light") == 1
    assert store.count("light", "light-001") == 0


def test_fields_given_as_any_mapping_are_stored_as_compact_json(store: SQLiteStore) -> None:
    # A read-only view, not a dict: the JSON encoder takes only dicts, so the store must copy it.
    values: dict[str, FieldValue] = {"seq": 3, "power_w": 12.5, "note": "đèn hỏng"}
    fields = MappingProxyType(values)
    store.write([Point("light", SITE, "light-001", "road-1", T0, fields, 3)])
    assert store.seqs("light", "light-001") == [3]
    with sqlite3.connect(store.path) as conn:
        (stored,) = conn.execute("SELECT fields FROM points").fetchone()
    conn.close()
    assert stored == '{"seq":3,"power_w":12.5,"note":"\\u0111\\u00e8n h\\u1ecfng"}'


def test_a_point_json_cannot_hold_is_named_in_the_error(store: SQLiteStore) -> None:
    bad = Point("light", SITE, "light-001", "road-1", T0 + 9, {"v": float("inf")})
    with pytest.raises(ValueError) as info:
        store.write([bad])
    # The json module's own words vary between Python versions; the point's name and its fields do not.
    text = str(info.value)
    assert text.startswith(f"point light/light-001 at {T0 + 9}: Out of range float values are not JSON compliant")
    assert text.endswith(" ({'v': inf})")
    assert store.count("light") == 0


def test_the_file_may_be_several_directories_down(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c" / "telemetry.sqlite3"
    deep = SQLiteStore(path)
    deep.write(light_points("light-001", T0, 1))
    deep.close()
    assert path.is_file()


def test_commits_are_synchronous_full_and_locks_are_waited_for(store: SQLiteStore) -> None:
    # The writer deletes outbox rows once write() returns: the commit must be on disk by then.
    assert store._writer.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    # A backup or a checkpoint holding the file for a while must not fail a batch: wait up to 30 s.
    for conn in (store._writer, store._reader):
        assert conn.execute("PRAGMA busy_timeout").fetchone() == (30_000,)


def test_a_closed_store_does_not_answer_ping(tmp_path: Path) -> None:
    closed = SQLiteStore(tmp_path / "t.sqlite3")
    closed.close()
    assert closed.ping() is False


def test_reopening_a_current_file_keeps_seqs_that_are_not_in_the_fields(tmp_path: Path) -> None:
    # Availability points carry a serial as seq and no seq field: a file already keyed by seq must not be
    # "migrated" again (that would take seq from the fields, 0 for both, and fold the two into one key).
    path = tmp_path / "t.sqlite3"
    first = SQLiteStore(path)
    first.write([Point("availability", SITE, "light-001", "road-1", T0, {"online": n == 1}, n) for n in (1, 2)])
    first.close()
    again = SQLiteStore(path)
    try:
        assert again.count("availability", "light-001") == 2
        assert again.query("availability", "light-001", "online", T0, T0 + 1, 1) == []  # booleans: no mean
    finally:
        again.close()
