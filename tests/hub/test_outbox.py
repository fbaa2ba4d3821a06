"""The outbox on its own, on a tmp_path SQLite file: what a commit keeps (and, when it fails, keeps nothing of),
the counts /healthz and /metrics read, the dead-letter cap and retention, and an outbox file from before seq."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic_core import PydanticSerializationError

from hub.ingest.outbox import DeadLetter, DeadLetterLimits, Outbox, StoredDeadLetter, cut
from hub.storage.base import Point

NOW = 1_795_000_000_000


def point(seq: int, device: str = "den-1") -> Point:
    return Point("light", "thon-1", device, "duong-chinh", NOW + seq, {"power_w": 40.5, "level": seq, "on": True,
                                                                      "mode": "tự động"}, seq)


def letter(i: int, reason: str = "bad_json", received_ms: int = NOW) -> DeadLetter:
    return DeadLetter(received_ms, f"hamlet/v1/thon-1/light/den-{i}/telemetry", f"{{{i}".encode(), reason,
                      f"line 1 column {i}")


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Outbox]:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    yield outbox
    outbox.close()


# -- cut: the caps on topics and details ----------------------------------------------------------------------


def test_cut_keeps_a_text_that_fits_exactly_whole() -> None:
    assert cut("x" * 50, 50) == "x" * 50
    assert cut("", 0) == ""


def test_cut_counts_the_characters_really_cut() -> None:
    # Room is left for a note as long as "… (+100 chars)" (14), so 36 kept and 64 cut: 36 + 64 = 100.
    assert cut("x" * 100, 50) == "x" * 36 + "… (+64 chars)"
    text = "é" * 1000
    out = cut(text, 300)
    assert len(out) <= 300
    kept = out.split("…")[0]
    assert out == kept + f"… (+{1000 - len(kept)} chars)"


def test_cut_one_character_over_still_says_so() -> None:
    assert cut("y" * 51, 50) == "y" * 37 + "… (+14 chars)"  # 37 + 14 = 51


def test_cut_to_a_limit_shorter_than_its_note_keeps_only_the_note() -> None:
    assert cut("z" * 100, 5) == "… (+100 chars)"
    assert cut("z" * 100, 0) == "… (+100 chars)"


# -- opening ----------------------------------------------------------------------------------------------------


def test_a_new_outbox_is_empty_in_wal_mode_in_a_folder_it_makes(tmp_path: Path) -> None:
    path = tmp_path / "var" / "hamlet" / "outbox.sqlite3"  # two folders that do not exist yet
    outbox = Outbox(path)
    try:
        assert outbox.path == path
        assert outbox.depth() == 0 and outbox.dead_letter_rows() == 0
        assert outbox.take(10) == (0, [])
        assert outbox.batch_end(10) == (0, 0)
        assert outbox.dead_letters() == [] and outbox.dead_letter_counts() == {} and outbox.clock_offsets() == {}
        with sqlite3.connect(path) as other:
            assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        other.close()
    finally:
        outbox.close()
    again = Outbox(path)  # the folder exists now: opened again, not refused
    again.close()


def test_reopening_the_file_gives_the_same_rows_counts_and_offsets(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    first = Outbox(path)
    first.commit([point(1), point(2), point(3)], [letter(1), letter(2, "bad_topic")], {"den-1": 1500})
    first.delete_upto(1)  # written and confirmed: must stay deleted
    first.prune_dead_letters(NOW)  # nothing past the retention
    first.close()
    second = Outbox(path)
    try:
        assert second.depth() == 2
        assert second.dead_letter_rows() == 2
        assert second.take(10) == (3, [point(2), point(3)])
        assert second.dead_letter_counts() == {"bad_json": 1, "bad_topic": 1}
        assert second.clock_offsets() == {"den-1": 1500}
    finally:
        second.close()


def test_an_outbox_from_before_seq_gets_the_column_filled_from_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    with sqlite3.connect(path) as old:
        old.executescript(
            "CREATE TABLE outbox (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, site TEXT NOT NULL, "
            "device TEXT NOT NULL, grp TEXT NOT NULL, ts INTEGER NOT NULL, fields TEXT NOT NULL);"
            f"INSERT INTO outbox (measurement, site, device, grp, ts, fields) VALUES "
            f"('light', 's', 'den-1', 'g', {NOW}, '{{\"seq\": 41, \"power_w\": 1.0}}'),"
            f"('light', 's', 'den-1', 'g', {NOW}, '{{\"seq\": 42, \"power_w\": 2.0}}'),"  # same ms: own key
            f"('availability', 's', 'den-1', 'g', {NOW}, '{{\"online\": true}}');"  # no seq in it: 0
        )
    old.close()
    outbox = Outbox(path)
    try:
        assert outbox.depth() == 3
        assert outbox.take(10) == (3, [Point("light", "s", "den-1", "g", NOW, {"seq": 41, "power_w": 1.0}, 41),
                                       Point("light", "s", "den-1", "g", NOW, {"seq": 42, "power_w": 2.0}, 42),
                                       Point("availability", "s", "den-1", "g", NOW, {"online": True}, 0)])
        outbox.commit([point(7)], [])
        assert outbox.take(10, after=3) == (4, [point(7)])
    finally:
        outbox.close()
    reopened = Outbox(path)  # migrated once: the column is there now
    try:
        assert reopened.depth() == 4
    finally:
        reopened.close()


# -- commit, take, delete -----------------------------------------------------------------------------------------


def test_points_come_back_as_they_went_in_oldest_first(box: Outbox) -> None:
    points = [point(1), point(2, "den-2"), point(3)]
    box.commit(points, [])
    assert box.take(10) == (3, points)
    assert box.take(2) == (2, points[:2])
    assert box.take(10, after=1) == (3, points[1:])
    assert box.take(10, after=3) == (0, [])


def test_depth_adds_every_commit_and_subtracts_what_is_deleted(box: Outbox) -> None:
    box.commit([point(1), point(2)], [])
    box.commit([point(3), point(4), point(5)], [letter(1)])
    assert box.depth() == 5
    box.delete_upto(2)
    assert box.depth() == 3
    assert box.take(10) == (5, [point(3), point(4), point(5)])
    box.delete_upto(2)  # already gone: nothing more
    assert box.depth() == 3
    box.delete_upto(5)
    assert box.depth() == 0 and box.take(10) == (0, [])
    assert box.dead_letter_rows() == 1  # points and dead letters are counted apart


def test_batch_end_is_the_last_id_and_count_of_the_oldest_rows(box: Outbox) -> None:
    box.commit([point(i) for i in range(1, 6)], [])
    assert box.batch_end(3) == (3, 3)
    assert box.batch_end(10) == (5, 5)
    box.delete_upto(2)
    assert box.batch_end(2) == (4, 2)
    box.delete_upto(5)
    assert box.batch_end(2) == (0, 0)


def test_a_commit_from_another_thread_is_kept(box: Outbox) -> None:
    errors: list[BaseException] = []

    def committer() -> None:
        try:
            box.commit([point(1)], [letter(1)])
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=committer)
    thread.start()
    thread.join()
    assert errors == []
    assert box.take(10) == (1, [point(1)])


def test_clock_offsets_are_kept_and_replaced_per_device(box: Outbox) -> None:
    box.commit([point(1)], [], {"den-1": 3_600_000, "den-2": -250})
    assert box.clock_offsets() == {"den-1": 3_600_000, "den-2": -250}
    box.commit([point(2)], [], {"den-1": 3_599_000})
    box.commit([point(3)], [], {})
    box.commit([point(4)], [])
    assert box.clock_offsets() == {"den-1": 3_599_000, "den-2": -250}


# -- a failed commit keeps nothing and leaves the outbox working ---------------------------------------------


def test_a_commit_failing_mid_batch_keeps_nothing_of_it(box: Outbox) -> None:
    box.commit([point(1)], [letter(1)], {"den-1": 10})
    with pytest.raises(OverflowError, match="too large"):
        # The points and letters are in before the offset fails: the whole batch must go.
        box.commit([point(2), point(3)], [letter(2), letter(3)], {"den-1": 20, "den-2": 2**70})
    assert box.depth() == 1 and box.dead_letter_rows() == 1
    assert box.take(10) == (1, [point(1)])
    assert [d.topic for d in box.dead_letters()] == [letter(1).topic]
    assert box.clock_offsets() == {"den-1": 10}
    box.commit([point(4)], [letter(4)], {"den-1": 30})  # the next batch works
    assert box.depth() == 2 and box.dead_letter_rows() == 2
    assert [p.seq for p in box.take(10)[1]] == [1, 4]
    assert box.dead_letter_counts() == {"bad_json": 2}
    assert box.clock_offsets() == {"den-1": 30}


def test_a_point_whose_fields_cannot_be_encoded_is_refused_and_nothing_kept(box: Outbox) -> None:
    bad = Point("light", "thon-1", "den-1", "g", NOW, {"power_w": object()}, 9)  # type: ignore[dict-item]
    with pytest.raises(PydanticSerializationError):
        box.commit([point(1), bad], [letter(1)])
    assert box.depth() == 0 and box.dead_letter_rows() == 0
    box.commit([point(2)], [])
    assert box.take(10) == (1, [point(2)])


def test_reopening_after_a_failed_commit_finds_only_what_was_committed(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    first = Outbox(path)
    first.commit([point(1)], [])
    with pytest.raises(OverflowError):
        first.commit([point(2)], [letter(2)], {"den-1": -(2**70)})
    first.close()
    second = Outbox(path)
    try:
        assert second.depth() == 1 and second.dead_letter_rows() == 0 and second.clock_offsets() == {}
    finally:
        second.close()


# -- dead letters: what is kept, the cap, the retention ----------------------------------------------------------


def test_dead_letters_come_back_newest_first_with_every_part(box: Outbox) -> None:
    box.commit([], [letter(1), letter(2, "bad_topic", NOW + 5)])
    box.commit([], [letter(3, "bad_json", NOW + 9)])
    assert box.dead_letters() == [
        StoredDeadLetter(NOW + 9, "hamlet/v1/thon-1/light/den-3/telemetry", b"{3", "bad_json", "line 1 column 3", 3),
        StoredDeadLetter(NOW + 5, "hamlet/v1/thon-1/light/den-2/telemetry", b"{2", "bad_topic", "line 1 column 2", 2),
        StoredDeadLetter(NOW, "hamlet/v1/thon-1/light/den-1/telemetry", b"{1", "bad_json", "line 1 column 1", 1),
    ]
    assert [d.id for d in box.dead_letters(limit=2)] == [3, 2]
    assert [d.id for d in box.dead_letters(reason="bad_json")] == [3, 1]
    assert [d.id for d in box.dead_letters(reason="bad_topic")] == [2]
    assert box.dead_letters(reason="unstorable") == []
    assert [d.id for d in box.dead_letters(limit=1, reason="bad_json")] == [3]
    assert box.dead_letter_counts() == {"bad_json": 2, "bad_topic": 1}


def test_dead_letters_lists_a_hundred_unless_asked(box: Outbox) -> None:
    box.commit([], [letter(i) for i in range(101)])
    listed = box.dead_letters()
    assert len(listed) == 100 and listed[0].id == 101 and listed[-1].id == 2
    assert len(box.dead_letters(limit=101)) == 101


def test_each_part_of_a_dead_letter_is_cut_to_its_limit(tmp_path: Path) -> None:
    limits = DeadLetterLimits(payload_bytes=8, topic_chars=40, detail_chars=30)
    outbox = Outbox(tmp_path / "outbox.sqlite3", limits)
    try:
        assert outbox.limits is limits
        outbox.commit([], [DeadLetter(NOW, "hamlet/v1/thon-1/light/" + "x" * 100 + "/telemetry", b"0123456789abc",
                                      "bad_topic", "device id " + "x" * 100 + " is too long")])
        (stored,) = outbox.dead_letters()
        assert stored.payload == b"01234567"
        assert stored.topic == cut("hamlet/v1/thon-1/light/" + "x" * 100 + "/telemetry", 40)
        assert stored.topic == "hamlet/v1/thon-1/light/xxx… (+107 chars)"
        assert stored.detail == "device id xxxxxx… (+106 chars)"
        assert stored.reason == "bad_topic"
    finally:
        outbox.close()


def test_dead_letter_rows_stay_right_across_commits(box: Outbox) -> None:
    box.commit([], [letter(1), letter(2)])
    box.commit([point(1)], [])
    box.commit([], [letter(3)])
    assert box.dead_letter_rows() == 3
    box.commit([], [letter(4), letter(5)])
    assert box.dead_letter_rows() == 5 == len(box.dead_letters())


def test_the_cap_prunes_the_overflow_and_a_tenth_of_the_cap_oldest_first(tmp_path: Path) -> None:
    # 21 rows: a tenth is 2 (integer steps), and 21 // 11 or 21 / 10 would not be.
    outbox = Outbox(tmp_path / "outbox.sqlite3", DeadLetterLimits(rows=21))
    try:
        assert outbox.commit([], [letter(i) for i in range(1, 21)]) == 0  # 20: under the cap
        assert outbox.commit([], [letter(21)]) == 0  # exactly at the cap: nothing pruned
        assert outbox.dead_letter_rows() == 21
        assert outbox.commit([point(1)], [letter(22)]) == 3  # one over: that one and a tenth of the cap
        assert outbox.dead_letter_rows() == 19
        assert [d.id for d in outbox.dead_letters(limit=100)] == list(range(22, 3, -1))  # 1, 2, 3 went first
        assert outbox.commit([], [letter(23), letter(24)]) == 0  # back to the cap exactly
        assert outbox.commit([], [letter(i) for i in range(25, 30)]) == 7  # five over, plus two
        assert outbox.dead_letter_rows() == 19 == len(outbox.dead_letters(limit=100))
        assert outbox.dead_letters(limit=100)[-1].id == 11
        assert outbox.depth() == 1  # points are never pruned
    finally:
        outbox.close()


def test_a_flood_in_one_commit_keeps_the_newest_under_the_cap(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3", DeadLetterLimits(rows=10))
    try:
        outbox.commit([], [letter(i) for i in range(1, 4)])
        # 3 + 30 - 10 = 23 over, plus 1: the 3 old ones and the 21 oldest of the flood go.
        assert outbox.commit([], [letter(i) for i in range(4, 34)]) == 24
        assert [d.id for d in outbox.dead_letters()] == list(range(33, 24, -1))
        assert outbox.dead_letter_rows() == 9
    finally:
        outbox.close()


def test_letters_past_the_retention_are_pruned_and_counted(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3", DeadLetterLimits(retention_ms=1000))
    try:
        now = NOW + 5000
        outbox.commit([], [letter(1, received_ms=now - 1001), letter(2, received_ms=now - 1000),
                           letter(3, received_ms=now - 999), letter(4, received_ms=now)])
        assert outbox.prune_dead_letters(now) == 1  # only the one older than the retention
        assert outbox.dead_letter_rows() == 3
        assert [d.id for d in outbox.dead_letters()] == [4, 3, 2]
        assert outbox.prune_dead_letters(now) == 0
        assert outbox.dead_letter_rows() == 3
        assert outbox.prune_dead_letters(now + 1000) == 2
        assert outbox.dead_letter_rows() == 1 and outbox.dead_letter_counts() == {"bad_json": 1}
    finally:
        outbox.close()
