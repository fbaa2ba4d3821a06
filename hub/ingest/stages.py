"""Where the committer's time goes, per stage, summed per batch (two clock reads a stage, not per message).

Both clocks: CPU time of the committer thread (what the stage costs) and wall time (what it costs plus the
wait for the GIL, which every thread of the process shares). The bench (bench/ingest.py) reads the summary
the hub logs when it stops.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

STAGES = ("decode", "commit", "ack", "routing")


def stamp() -> tuple[int, int]:
    """(thread CPU ns, wall ns) now."""
    return time.thread_time_ns(), time.perf_counter_ns()


@dataclass(slots=True)
class StageClock:
    messages: int = 0
    batches: int = 0
    cpu_ns: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    wall_ns: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, messages: int, stamps: list[tuple[int, int]]) -> None:
        """`stamps`: one before the first stage, then one after each stage, in STAGES order."""
        with self._lock:
            self.messages += messages
            self.batches += 1
            for stage, (cpu0, wall0), (cpu1, wall1) in zip(STAGES, stamps[:-1], stamps[1:], strict=True):
                self.cpu_ns[stage] += cpu1 - cpu0
                self.wall_ns[stage] += wall1 - wall0

    def per_message_us(self) -> dict[str, tuple[float, float]]:
        """stage -> (CPU µs, wall µs) per message."""
        with self._lock:
            n = (self.messages or 1) * 1000
            return {s: (self.cpu_ns[s] / n, self.wall_ns[s] / n) for s in STAGES}

    def summary(self, receive_ns: int = 0, received: int = 0) -> str:
        """One line: CPU µs per message for each stage, wall in brackets (receive: the bus's network thread's
        CPU, when known)."""
        parts = [f"{stage} {cpu:.1f} [{wall:.1f}]" for stage, (cpu, wall) in self.per_message_us().items()]
        if received:
            parts.insert(0, f"receive {receive_ns / received / 1000:.1f}")
        return (f"ingest stages, µs/msg over {self.messages} messages: " + ", ".join(parts)
                + f" ({self.batches} batches)")
