"""The MQTT bus's dispatch table: the broker's match is trusted only when one filter can explain a message."""

from __future__ import annotations

from hub.bus.base import Message
from hub.bus.dispatch import Dispatch


def test_one_filter_per_channel_needs_no_matching() -> None:
    got: list[str] = []
    d = Dispatch()
    d.add("hamlet/v1/s/+/+/telemetry", lambda m: got.append("telemetry"))
    d.add("hamlet/v1/s/+/+/state", lambda m: got.append("state"))
    handler = d.alone("hamlet/v1/s/light/den-1/telemetry")
    assert handler is not None
    handler(Message("t", b""))
    assert got == ["telemetry"]
    assert d.alone("hamlet/v1/s/light/den-1/other") is None
    assert d.matching("hamlet/v1/s/light/den-1/other") == []


def test_two_filters_with_one_channel_are_matched() -> None:
    got: list[str] = []
    d = Dispatch()
    d.add("a/+/telemetry", lambda m: got.append("a"))
    d.add("b/+/telemetry", lambda m: got.append("b"))
    assert d.alone("b/x/telemetry") is None
    for handler in d.matching("b/x/telemetry"):
        handler(Message("b/x/telemetry", b""))
    assert got == ["b"]


def test_a_wildcard_filter_turns_the_shortcut_off() -> None:
    got: list[str] = []
    d = Dispatch()
    d.add("hamlet/v1/s/+/+/telemetry", lambda m: got.append("ingest"))
    d.add("t/#", lambda m: got.append("watcher"))
    # "t/x/telemetry" came through "t/#": the ingest handler must not see it.
    assert d.alone("t/x/telemetry") is None
    for handler in d.matching("t/x/telemetry"):
        handler(Message("t/x/telemetry", b""))
    assert got == ["watcher"]
    got.clear()
    for handler in d.matching("hamlet/v1/s/light/d/telemetry"):
        handler(Message("hamlet/v1/s/light/d/telemetry", b""))
    assert got == ["ingest"]
