"""The committer's stage clock: the figures bench/ingest.py reads from the line the hub logs when it stops."""

from __future__ import annotations

import threading

import pytest

from hub.ingest.stages import STAGES, StageClock, stamp


def stamps(*ends: tuple[int, int]) -> list[tuple[int, int]]:
    return [(0, 0), *ends]


def test_each_stage_gets_the_time_between_its_stamps() -> None:
    clock = StageClock()
    # CPU and wall ns at the end of decode, commit, ack and routing
    clock.add(4, stamps((4_000, 8_000), (12_000, 40_000), (14_000, 44_000), (30_000, 60_000)))
    clock.add(6, [(100, 100), (4_100, 2_100), (4_100, 2_100), (5_100, 3_100), (5_100, 3_100)])
    assert (clock.messages, clock.batches) == (10, 2)
    assert clock.cpu_ns == {"decode": 8_000, "commit": 8_000, "ack": 3_000, "routing": 16_000}
    assert clock.wall_ns == {"decode": 10_000, "commit": 32_000, "ack": 5_000, "routing": 16_000}
    assert clock.per_message_us() == {
        "decode": (0.8, 1.0), "commit": (0.8, 3.2), "ack": (0.3, 0.5), "routing": (1.6, 1.6)
    }


def test_the_summary_line() -> None:
    clock = StageClock()
    clock.add(2, stamps((2_000, 4_000), (4_000, 8_000), (5_000, 9_000), (7_000, 13_000)))
    assert clock.summary() == (
        "ingest stages, µs/msg over 2 messages: decode 1.0 [2.0], commit 1.0 [2.0], ack 0.5 [0.5], "
        "routing 1.0 [2.0] (1 batches)"
    )
    assert clock.summary(receive_ns=9_000, received=3) == (
        "ingest stages, µs/msg over 2 messages: receive 3.0, decode 1.0 [2.0], commit 1.0 [2.0], ack 0.5 [0.5], "
        "routing 1.0 [2.0] (1 batches)"
    )


def test_the_receive_figure_is_the_bus_threads_cpu_per_message_in_us() -> None:
    clock = StageClock()
    clock.add(1, stamps((1, 1), (1, 1), (1, 1), (1, 1)))
    assert clock.summary(receive_ns=2_000_000, received=1).split(": ")[1].startswith("receive 2000.0, decode ")


@pytest.mark.parametrize("count", [3, 4, 6])
def test_stamps_that_do_not_match_the_stages_are_refused(count: int) -> None:
    """One stamp too few or too many would shift every figure onto the wrong stage without a word."""
    clock = StageClock()
    with pytest.raises(ValueError, match="zip"):
        clock.add(1, [(0, 0)] * count)


def test_before_any_message_every_stage_is_zero() -> None:
    assert StageClock().per_message_us() == dict.fromkeys(STAGES, (0.0, 0.0))


def test_a_stamp_is_this_threads_cpu_time_and_the_wall_clock() -> None:
    cpu0, wall0 = stamp()
    sum(range(200_000))  # some CPU
    cpu1, wall1 = stamp()
    assert cpu1 > cpu0 and wall1 > wall0
    # Thread CPU time: another thread's work does not count in this one's stamps.
    cpu2, _ = stamp()
    worker = threading.Thread(target=lambda: sum(range(3_000_000)))
    worker.start()
    worker.join()
    cpu3, wall3 = stamp()
    assert cpu3 - cpu2 < wall3 - wall1
