"""The bridge's own counters, rendered as Prometheus text for GET /metrics.

Counters are bumped from the ingest and writer threads; `Counter` guards each bump with a lock so two
threads never lose an increment.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable


class Counter:
    def __init__(self) -> None:
        self._values: defaultdict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def add(self, n: int = 1, label: str = "") -> None:
        with self._lock:
            self._values[label] += n

    def value(self, label: str = "") -> int:
        return self._values.get(label, 0)

    def total(self) -> int:
        return sum(self._values.values())

    def items(self) -> list[tuple[str, int]]:
        with self._lock:
            return sorted(self._values.items())


class HubMetrics:
    def __init__(self) -> None:
        self.messages_in = Counter()  # label: channel
        self.rejected = Counter()  # label: reason
        self.clock_replaced = Counter()
        self.acked = Counter()
        self.points_written = Counter()
        self.store_write_errors = Counter()
        self.http_refused = Counter()  # label: status (401, 403, 413, 429), from hub.api.limits
        self.commit_failures = Counter()
        self.dead_letters_pruned = Counter()
        self.gauges: dict[str, Callable[[], float]] = {}
        # Whole labelled sections rendered by their owners (the router: per-service queues, drops, errors).
        self.sections: list[Callable[[], list[str]]] = []

    def render(self) -> str:
        lines: list[str] = []
        _counter(lines, "hamlet_messages_in_total", "Device messages received", self.messages_in, "channel")
        _counter(lines, "hamlet_messages_rejected_total", "Messages dead-lettered", self.rejected, "reason")
        _counter(lines, "hamlet_clock_replaced_total", "Device timestamps replaced", self.clock_replaced)
        _counter(lines, "hamlet_messages_acked_total", "Messages acknowledged to the broker", self.acked)
        _counter(lines, "hamlet_points_written_total", "Points the store confirmed", self.points_written)
        _counter(lines, "hamlet_store_write_errors_total", "Failed store writes", self.store_write_errors)
        _counter(lines, "hamlet_http_refused_total", "HTTP requests refused", self.http_refused, "status")
        _counter(lines, "hamlet_outbox_commit_failures_total", "Failed outbox commits", self.commit_failures)
        _counter(lines, "hamlet_dead_letters_pruned_total", "Dead letters pruned (cap or retention)",
                 self.dead_letters_pruned)
        for name, read in sorted(self.gauges.items()):
            lines += [f"# TYPE {name} gauge", f"{name} {read():g}"]
        for section in self.sections:
            lines += section()
        return "\n".join(lines) + "\n"


def _counter(lines: list[str], name: str, help_text: str, counter: Counter, label: str = "") -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
    items = counter.items()
    if not label:
        lines.append(f"{name} {counter.total()}")
        return
    if not items:
        lines.append(f"{name} 0")
    for value, count in items:
        lines.append(f'{name}{{{label}="{value}"}} {count}')
