"""/healthz's verdict, from the cached values the bridge keeps (pure: no hub needed)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub.api.health import RECENT_FAILURE_MS, Link, assess
from hub.ingest.pipeline import CommitHealth
from hub.ingest.writer import Vitals
from hub.runtime import Hub

NOW = 1_795_000_000_000
UP = Link(subscribed=True, linked=True)
GOOD = Vitals(store_ok=True, store_detail="ok", disk_free_bytes=5 * 1024**3, disk_low=False)


def verdict(link: Link = UP, commits: CommitHealth | None = None, vitals: Vitals = GOOD,
            backlog: int = 0) -> tuple[str, list[str]]:
    status, reasons, _parts = assess(link, commits or CommitHealth(), vitals, backlog, 7, "influxdb1", NOW)
    return status, reasons


def test_all_well_is_ok_with_no_reasons() -> None:
    assert verdict() == ("ok", [])


@pytest.mark.parametrize(
    ("commits", "named"),
    [
        (CommitHealth(failures=3, last_error="OperationalError: database or disk is full",
                      last_failure_ms=NOW - 500), "outbox: commits failing (3 in a row)"),
        (CommitHealth(failures=0, last_error="OperationalError: x", last_failure_ms=NOW - RECENT_FAILURE_MS + 1),
         "outbox: commits failing (recovered)"),
    ],
)
def test_failing_or_recently_failed_commits_are_degraded(commits: CommitHealth, named: str) -> None:
    status, reasons = verdict(commits=commits)
    assert status == "degraded"
    assert any(r.startswith(named) for r in reasons), reasons


def test_an_old_commit_failure_no_longer_counts() -> None:
    old = CommitHealth(failures=0, last_error="x", last_failure_ms=NOW - RECENT_FAILURE_MS)
    assert verdict(commits=old) == ("ok", [])


def test_low_disk_and_a_silent_store_are_degraded_and_named() -> None:
    status, reasons = verdict(vitals=Vitals(store_ok=False, store_detail="does not answer its ping",
                                            disk_free_bytes=50 * 1024**2, disk_low=True))
    assert status == "degraded"
    assert reasons == ["store: influxdb1: does not answer its ping", "disk: 50 MB free (low)"]


def test_broker_down_is_degraded() -> None:
    status, reasons = verdict(link=Link(subscribed=False, linked=False))
    assert (status, reasons) == ("degraded", ["broker: not connected"])


def test_connected_behind_a_backlog_is_catching_up_not_down() -> None:
    status, reasons = verdict(link=Link(subscribed=False, linked=True), backlog=42_000)
    assert status == "catching_up"
    assert reasons == ["broker: catching up: 42000 messages received, subscriptions not yet confirmed"]


def test_catching_up_with_a_failing_store_is_still_degraded() -> None:
    status, _ = verdict(link=Link(subscribed=False, linked=True), vitals=Vitals(store_ok=False, store_detail="x"))
    assert status == "degraded"


# -- the route: cached values in, the verdict out, 503 only when degraded -----------------------------------


def test_healthz_route_says_why_it_is_degraded(client: TestClient, hub: Hub) -> None:
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json()["status"] == "ok" and ok.json()["reasons"] == []
    hub.ingest.commits.failures = 4
    hub.ingest.commits.last_error = "OperationalError: database or disk is full"
    hub.writer.vitals.disk_low, hub.writer.vitals.disk_free_bytes = True, 10 * 1024**2
    bad = client.get("/healthz")
    assert bad.status_code == 503
    body = bad.json()
    assert body["status"] == "degraded"
    assert body["reasons"] == [
        "outbox: commits failing (4 in a row): OperationalError: database or disk is full",
        "disk: 10 MB free (low)",
    ]
    assert body["outbox"]["ok"] is False and body["disk"]["ok"] is False and body["broker"]["ok"] is True
