from __future__ import annotations

import itertools

from simulators.stamp import Stamper, now_ms


def test_ts_strictly_increases_even_when_the_clock_stands_still_or_steps_back() -> None:
    readings = iter([1_000, 1_000, 1_000, 999, 500, 2_000])
    stamper = Stamper(clock=lambda: next(readings))
    stamps = [stamper.next() for _ in range(6)]
    assert [ts for ts, _ in stamps] == [1_000, 1_001, 1_002, 1_003, 1_004, 2_000]
    assert [seq for _, seq in stamps] == [0, 1, 2, 3, 4, 5]


def test_seq_resumes_from_a_given_start() -> None:
    stamper = Stamper(seq_start=41, clock=itertools.count(5).__next__)
    assert stamper.seq == 41
    assert stamper.next() == (5, 41)
    assert stamper.seq == 42


def test_now_ms_is_milliseconds_since_the_epoch() -> None:
    assert 1_600_000_000_000 < now_ms() < 32_503_680_000_000
