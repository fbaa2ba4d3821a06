"""A command's roll-up counts: how many target devices are in each status, whether it is done (every
device settled) and whether it went well (every device confirmed). Pure; the words are the domain's."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from hub.commands.lifecycle import SETTLED, Status


@dataclass(frozen=True, slots=True)
class Tally:
    total: int
    counts: dict[str, int]  # status value -> devices, only the statuses present
    confirmed: int
    done: bool  # every device settled: confirmed, failed, timed out or expired
    ok: bool  # every device confirmed


def tally(statuses: Iterable[Status]) -> Tally:
    seen = list(statuses)
    counts = Counter(s.value for s in seen)
    confirmed = counts[Status.CONFIRMED.value]
    return Tally(len(seen), dict(counts), confirmed, all(s in SETTLED for s in seen), confirmed == len(seen))
