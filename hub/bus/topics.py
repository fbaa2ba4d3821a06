"""MQTT topic-filter matching for the in-memory bus (the MQTT bus lets the broker and paho match)."""

from __future__ import annotations


def matches(topic_filter: str, topic: str) -> bool:
    """True when `topic` matches `topic_filter` with MQTT's `+` (one level) and `#` (the rest)."""
    f_parts = topic_filter.split("/")
    t_parts = topic.split("/")
    for i, part in enumerate(f_parts):
        if part == "#":
            return True
        if i >= len(t_parts):
            return False
        if part != "+" and part != t_parts[i]:
            return False
    return len(f_parts) == len(t_parts)
