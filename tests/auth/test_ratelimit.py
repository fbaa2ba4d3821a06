"""Login limits as pure decisions (progressive waits), the tracker's keys and rules, and its memory bound."""

from __future__ import annotations

import pytest

from hub.auth.ratelimit import LOGIN_RULES, FailureTracker, Limit, delay_s, login_keys, retry_after

RULE = Limit(free=5, base_s=1, cap_s=900, forget_s=3600)


def test_free_failures_cost_nothing() -> None:
    assert [delay_s(n, RULE) for n in range(5)] == [0.0] * 5
    assert retry_after(4, 100, 100, RULE) is None


def test_the_wait_doubles_with_each_failure_past_the_free_ones_up_to_the_cap() -> None:
    assert [delay_s(n, RULE) for n in range(5, 12)] == [1, 2, 4, 8, 16, 32, 64]
    assert delay_s(15, RULE) == 900 and delay_s(10_000, RULE) == 900  # capped, never an overflow


def test_the_wait_runs_from_the_last_failure_and_rounds_up() -> None:
    assert retry_after(7, 100, 100, RULE) == 4  # 4 s after the 7th failure
    assert retry_after(7, 100, 102.5, RULE) == 2  # rounds up, never 0
    assert retry_after(7, 100, 103.999, RULE) == 1
    assert retry_after(7, 100, 104, RULE) is None  # exactly at the end: allowed


def test_a_key_is_forgotten_after_a_quiet_period() -> None:
    assert retry_after(50, 0, 899, RULE) == 1  # capped at 900 s however many failures
    assert retry_after(50, 0, 900, RULE) is None
    tracker = FailureTracker({"pair": RULE})
    for t in range(7):
        tracker.fail(["pair:x"], t)
    assert tracker.failures("pair:x") == 7
    tracker.fail(["pair:x"], 6 + 3600)  # after the quiet period the count starts over
    assert tracker.failures("pair:x") == 1


@pytest.mark.parametrize("bad", [
    {"free": 0}, {"base_s": 0}, {"base_s": 10, "cap_s": 5}, {"cap_s": 100, "forget_s": 50},
])
def test_inconsistent_rules_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="inconsistent login limit"):
        Limit(**bad)  # type: ignore[arg-type]


def test_a_strangers_guesses_slow_the_stranger_not_the_account_elsewhere() -> None:
    tracker = FailureTracker(LOGIN_RULES)
    stranger = login_keys("+84912345678", "203.0.113.9")
    for t in range(5):
        tracker.fail(stranger, 100 + t)
    tracker.fail(stranger, 105)  # the sixth: now the stranger waits
    assert tracker.retry_after(stranger, 105) == 2
    assert tracker.retry_after(login_keys("+84912345678", "198.51.100.1"), 105) is None  # the head, at home
    assert tracker.retry_after(login_keys("+84900000001", "203.0.113.9"), 105) is None  # a neighbour behind the NAT


def test_many_addresses_at_one_account_wait_at_most_a_minute() -> None:
    tracker = FailureTracker(LOGIN_RULES)
    for i in range(40):
        tracker.fail(login_keys("+84912345678", f"10.0.0.{i}"), 100)
    wait = tracker.retry_after(login_keys("+84912345678", "198.51.100.1"), 100)
    assert wait == 60  # the account-wide rule: capped at a minute
    assert tracker.retry_after(login_keys("+84912345678", "198.51.100.1"), 160) is None


def test_clearing_an_account_leaves_the_address_counted() -> None:
    tracker = FailureTracker(LOGIN_RULES)
    keys = login_keys("+84912345678", "203.0.113.9")
    for _ in range(30):
        tracker.fail(keys, 100)
    tracker.clear(keys.pair, keys.phone)
    assert tracker.failures(keys.pair) == tracker.failures(keys.phone) == 0
    assert tracker.retry_after(keys, 100) == 60  # the address still waits its capped minute


def test_an_unknown_key_prefix_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no login limit for key 'guess:x'"):
        FailureTracker(LOGIN_RULES).fail(["guess:x"], 0)


def test_tracker_memory_is_bounded() -> None:
    tracker = FailureTracker({"phone": RULE}, max_keys=100)
    for i in range(1000):
        tracker.fail([f"phone:{i}"], float(i))
    assert len(tracker) <= 100
    assert tracker.failures("phone:999") == 1 and tracker.failures("phone:0") == 0  # the oldest went first
