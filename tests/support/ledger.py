"""The ledger oracle: what the broker acknowledged against what the store holds, keyed on (device, seq).

Publishers record a message only when its PUBACK arrives: from then on the hub owes it to the store. The
checker reads back every stored reading of the ledger's devices by (device, seq), never by time, because
time is exactly what a replaced clock or a shared millisecond gets wrong:

    lost       = acknowledged keys the store does not hold
    duplicated = stored readings beyond one per key (a redelivery that did not land on itself)

`str(verdict)` is the line every fault test prints: "n of N lost, m duplicated". No pytest in here, so the
benchmarks use it too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devices.contract import TopicError, parse_topic

# One stored reading as the checker sees it: (device, seq, time in ms).
Row = tuple[str, int, int]
TELEMETRY = ("light", "speaker", "camera")
# Every measurement a device's seq can land in (seq runs over all of a device's JSON messages).
DEVICE_MEASUREMENTS = (*TELEMETRY, "state", "command", "event")


class Ledger:
    """Every (device, seq) -> ts the broker acknowledged. Thread-safe: PUBACKs arrive on network threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._acked: dict[tuple[str, int], int] = {}
        self.repeats = 0  # the same key acknowledged twice (a publisher resending after a reconnect)

    def record(self, device: str, seq: int, ts: int) -> None:
        with self._lock:
            if (device, seq) in self._acked:
                self.repeats += 1
            self._acked[(device, seq)] = ts

    def record_payload(self, device: str, payload: bytes | str) -> bool:
        """Record a device -> hub JSON message by its own `seq` and `ts`; False (nothing kept) without them."""
        try:
            body = json.loads(payload)
        except ValueError:
            return False
        if not isinstance(body, dict) or not isinstance(body.get("seq"), int) or not isinstance(body.get("ts"), int):
            return False
        self.record(device, body["seq"], body["ts"])
        return True

    def record_message(self, topic: str, payload: bytes | str) -> bool:
        """A DeviceLink's `on_acked`: record a device -> hub message by the device its topic names."""
        try:
            where = parse_topic(topic)
        except TopicError:
            return False
        return self.record_payload(where.device, payload)

    def __len__(self) -> int:
        with self._lock:
            return len(self._acked)

    def entries(self) -> dict[tuple[str, int], int]:
        with self._lock:
            return dict(self._acked)

    def devices(self) -> set[str]:
        with self._lock:
            return {device for device, _ in self._acked}


@dataclass(frozen=True)
class Verdict:
    sent: int  # distinct keys the broker acknowledged
    stored: int  # readings of the ledger's devices in the store
    lost: int
    duplicated: int
    unexpected: int  # distinct stored keys never acknowledged (published, but the PUBACK was not seen)
    retimed: frozenset[str]  # devices with a stored reading whose time is not the ts the device sent
    lost_examples: tuple[tuple[str, int], ...]
    duplicated_examples: tuple[tuple[str, int], ...]

    def __str__(self) -> str:
        return f"{self.lost:,} of {self.sent:,} lost, {self.duplicated:,} duplicated"

    def explain(self) -> str:
        """The figure plus examples, for an assertion message."""
        return (f"{self}; stored {self.stored:,}, unexpected {self.unexpected:,}; "
                f"lost e.g. {list(self.lost_examples)}; duplicated e.g. {list(self.duplicated_examples)}")

    @property
    def exact(self) -> bool:
        return self.lost == 0 and self.duplicated == 0


def check(ledger: Ledger, rows: Iterable[Row]) -> Verdict:
    """Compare the acknowledged keys with the stored readings (rows of other devices are ignored)."""
    acked = ledger.entries()
    devices = {device for device, _ in acked}
    counts: Counter[tuple[str, int]] = Counter()
    retimed: set[str] = set()
    for device, seq, time_ms in rows:
        if device not in devices:
            continue
        counts[(device, seq)] += 1
        ts = acked.get((device, seq))
        if ts is not None and ts != time_ms:
            retimed.add(device)
    lost = sorted(key for key in acked if key not in counts)
    dups = sorted(key for key, n in counts.items() if n > 1)
    return Verdict(
        sent=len(acked),
        stored=sum(counts.values()),
        lost=len(lost),
        duplicated=sum(n - 1 for n in counts.values()),
        unexpected=sum(1 for key in counts if key not in acked),
        retimed=frozenset(retimed),
        lost_examples=tuple(lost[:5]),
        duplicated_examples=tuple(dups[:5]),
    )


def sqlite_rows(path: Path, measurements: Sequence[str] = DEVICE_MEASUREMENTS) -> list[Row]:
    """Every reading in the embedded store that carries a seq (read-only: the hub may still be running)."""
    if not path.exists():
        return []
    marks = ",".join("?" for _ in measurements)
    sql = (f"SELECT device, json_extract(fields, '$.seq'), ts FROM points WHERE measurement IN ({marks}) "
           "AND json_type(fields, '$.seq') = 'integer'")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return [(str(d), int(s), int(t)) for d, s, t in db.execute(sql, tuple(measurements))]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # the hub has not created it yet: nothing stored
            return []
        raise
    finally:
        db.close()


def influx_rows(url: str, database: str, measurements: Sequence[str] = DEVICE_MEASUREMENTS) -> list[Row]:
    """Every reading in an influxd 1.x that carries a seq, through InfluxQL, grouped by the device tag.

    Asked in nanoseconds and floored to milliseconds: the store may keep seq in the sub-millisecond digits.
    """
    rows: list[Row] = []
    for measurement in measurements:
        query = f'SELECT "seq" FROM "{measurement}" GROUP BY "device"'
        params = urllib.parse.urlencode({"db": database, "q": query, "epoch": "ns"})
        with urllib.request.urlopen(f"{url}/query?{params}", timeout=60) as r:
            body = json.loads(r.read())
        for result in body.get("results", []):
            if "error" in result and "database not found" not in result["error"]:
                raise RuntimeError(f"influxd {url}: {result['error']}")
            for series in result.get("series", []):
                device = series["tags"]["device"]
                rows.extend((device, int(seq), int(t) // 1_000_000) for t, seq in series["values"] if seq is not None)
    return rows
