"""Login limits as pure decisions over failure times, and the tracker's memory bound."""

from __future__ import annotations

from hub.auth.ratelimit import FailureTracker, Limit, retry_after

RULE = Limit(limit=5, window_s=900)


def test_allowed_until_the_limit() -> None:
    assert retry_after([], 1000, RULE) is None
    assert retry_after([100, 200, 300, 400], 1000, RULE) is None


def test_locked_until_the_oldest_counted_failure_ages_out() -> None:
    failures = [100, 200, 300, 400, 500]
    assert retry_after(failures, 600, RULE) == 400  # 100 + 900 - 600
    assert retry_after(failures, 999.5, RULE) == 1  # rounds up, never 0
    assert retry_after(failures, 1000, RULE) is None  # 100 left the window


def test_old_failures_do_not_count() -> None:
    assert retry_after([0, 1, 2, 3, 2000], 2100, RULE) is None


def test_tracker_takes_the_longest_wait_of_its_keys() -> None:
    tracker = FailureTracker(RULE)
    for t in range(5):
        tracker.fail(["phone:a", "addr:x"], 100 + t)
    tracker.fail(["addr:y"], 100)
    assert tracker.retry_after(["phone:a", "addr:z"], 200) == 800
    assert tracker.retry_after(["phone:b", "addr:y"], 200) is None
    tracker.clear("phone:a")
    assert tracker.retry_after(["phone:a"], 200) is None
    assert tracker.retry_after(["addr:x"], 200) == 800  # clearing the account leaves the address locked


def test_tracker_memory_is_bounded() -> None:
    tracker = FailureTracker(RULE, max_keys=100)
    for i in range(1000):
        tracker.fail([f"phone:{i}"], float(i))
    assert len(tracker._failures) <= 100
    assert tracker.retry_after(["phone:999"], 1000) is None  # one failure: still allowed
