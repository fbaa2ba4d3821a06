"""Where the committer's time goes, per stage, summed per batch (two clock reads a stage, not per message).

The bench (bench/ingest.py) reads the summary the hub logs when it stops; /metrics shows the same sums.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

STAGES = ("decode", "commit", "ack", "routing")


@dataclass(slots=True)
class StageClock:
    messages: int = 0
    ns: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, messages: int, decode: int, commit: int, ack: int, routing: int) -> None:
        with self._lock:
            self.messages += messages
            ns = self.ns
            ns["decode"] += decode
            ns["commit"] += commit
            ns["ack"] += ack
            ns["routing"] += routing

    def per_message_us(self) -> dict[str, float]:
        with self._lock:
            n = self.messages or 1
            return {stage: total / n / 1000 for stage, total in self.ns.items()}

    def summary(self, receive_ns: int = 0, received: int = 0) -> str:
        """One line: µs per message for each stage (receive from the bus's network thread, when known)."""
        parts = [f"{stage} {us:.1f}" for stage, us in self.per_message_us().items()]
        if received:
            parts.insert(0, f"receive {receive_ns / received / 1000:.1f}")
        return f"ingest stages, µs/msg over {self.messages} messages: " + ", ".join(parts)
