"""A simulated loudspeaker: SpeakerLogic (pure) behind a SimDevice connection, plus what only I/O can do:
fetching media over HTTP, holding events while the network is down, and the faults of the network and clock.

Downloads run on a small shared thread pool (a slow hub must not stall the fleet's loop thread) and hand
their bytes back to the loop thread, where the logic checks the sha256. Events produced while the link is
down (the speaker plays its plan on its own) wait in a bounded backlog and go out, with their `at_ms`, when
it is back: the as-run log must hear of a bulletin aired during a 4G outage.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, ClassVar, Final

from devices.contract import Kind
from devices.speaker import SpeakerConfig, SpeakerSet
from simulators.commands import NOTHING, Emit, Outcome
from simulators.device import SimDevice
from simulators.netloop import NetLoop
from simulators.speaker_logic import SPEAKER_FAULTS, SpeakerLogic
from simulators.stamp import now_ms

MAX_MEDIA_BYTES: Final = 64 * 1024 * 1024
BACKLOG: Final = 512  # events kept while offline: days of bulletins
DRIFT_MS: Final = 120_000  # clock_drift: 2 min fast

Fetch = Callable[[str], bytes]  # url -> body; raises OSError (or ValueError) naming what went wrong

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def http_get(url: str, timeout_s: float = 15.0) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 (http(s) only, by model)
            body: bytes = response.read(MAX_MEDIA_BYTES + 1)
    except urllib.error.HTTPError as err:
        raise OSError(f"HTTP {err.code} from {url}") from None
    except urllib.error.URLError as err:
        raise OSError(f"{url}: {err.reason}") from None
    if len(body) > MAX_MEDIA_BYTES:
        raise ValueError(f"{url}: over {MAX_MEDIA_BYTES} bytes")
    return body


def _downloads() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sim-media")
        return _pool


class SpeakerSim(SimDevice):
    kind: ClassVar[Kind] = Kind.SPEAKER
    kind_faults = SPEAKER_FAULTS

    def __init__(self, site: str, device: str, net: NetLoop, host: str, port: int, *,
                 play_s: float | None = None, fetch: Fetch = http_get, **options: Any) -> None:
        # play_s is accepted for Fleet's sake and unused: a bulletin plays for its medium's real duration.
        true_clock = options.pop("clock", now_ms)
        self._drift_ms = 0
        super().__init__(site, device, net, host, port, clock=lambda: true_clock() + self._drift_ms, **options)
        self.logic = SpeakerLogic()
        self._fetch = fetch
        self._backlog: deque[Emit] = deque(maxlen=BACKLOG)
        self._dropped_for: str | None = None  # offline_mid_bulletin: the occurrence whose middle cut the link
        self._booted = time.monotonic()

    def state_fields(self) -> dict[str, object]:
        return self.logic.state_fields()

    def telemetry_fields(self, now: int) -> dict[str, object]:
        return self.logic.sample(now, int(time.monotonic() - self._booted), self.rng)

    def apply(self, command: Any, now: int) -> Outcome:
        assert isinstance(command, SpeakerSet)
        return self._io(self.logic.apply(command, now), now)

    def configure(self, config: Any, now: int) -> Outcome:
        assert isinstance(config, SpeakerConfig)
        return self._io(self.logic.configure(config, now), now)

    def tick(self, now: int) -> Outcome:
        return self._io(self.logic.tick(now), now)

    def next_deadline(self, now: int) -> int | None:
        deadline = self.logic.next_deadline(now)
        middle = self._middle_of_bulletin()
        return middle if deadline is None or (middle is not None and middle < deadline) else deadline

    def on_connected(self, now: int) -> Outcome:
        held, self._backlog = tuple(self._backlog), deque(maxlen=BACKLOG)
        return self._io(Outcome(events=held), now)

    def power_lost(self, now: int) -> Outcome:
        # Kept for the reconnect: published now, it would race the connection going down.
        self._backlog.extend(self.logic.power_lost(now).events)
        return NOTHING

    def power_restored(self, now: int) -> Outcome:
        self._booted = time.monotonic()
        return self._io(self.logic.power_restored(now), now)

    def _set_fault(self, fault: str | None, now: int) -> Outcome:
        self._drift_ms = DRIFT_MS if fault == "clock_drift" else 0
        return self._io(self.logic.set_fault(fault, self.clock()), now)

    def _emit(self, outcome: Outcome) -> None:
        if outcome.events and not self.link.usable:
            self._backlog.extend(outcome.events)
            outcome = replace(outcome, events=())
        super()._emit(outcome)

    # --- I/O after every step: downloads and the mid-bulletin network cut -------------------------
    def _io(self, outcome: Outcome, now: int) -> Outcome:
        self._start_downloads(now)
        self._network_for_bulletin(now)
        return outcome

    def _start_downloads(self, now: int) -> None:
        if not self.powered or not self.link.usable:
            return  # no network, no HTTP: the logic keeps them wanted until the link is back
        for sha256, url in self.logic.wanted(now):
            _downloads().submit(self._download, sha256, url, self.fault)

    def _download(self, sha256: str, url: str, fault: str | None) -> None:
        """Pool thread: fetch, then hand the result to the loop thread."""
        body: bytes | None = None
        error: str | None = None
        try:
            if fault == "download_error":
                raise OSError(f"HTTP 503 from {url} (simulated download_error)")
            body = self._fetch(url)
            if fault == "wrong_hash":
                body = body[:-1] + bytes([body[-1] ^ 0xFF]) if body else b"\0"
        except (OSError, ValueError) as err:
            error = str(err)[:300]
        self.link.net.call_soon(self._step, lambda now: self._io(self.logic.fetched(sha256, body, error, now), now))

    def _middle_of_bulletin(self) -> int | None:
        cur = self.logic.player.current
        if self.fault != "offline_mid_bulletin" or cur is None or self._dropped_for == cur.id:
            return None
        return cur.run_from_ms + cur.entry.duration_ms // 2

    def _network_for_bulletin(self, now: int) -> None:
        cur = self.logic.player.current
        middle = self._middle_of_bulletin()
        if middle is not None and cur is not None and now >= middle:
            self._dropped_for = cur.id
            self.go_offline()
        elif self._dropped_for is not None and (cur is None or cur.id != self._dropped_for):
            self._dropped_for = None  # the bulletin has ended: the link comes back
            self.come_online()
