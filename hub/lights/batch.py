"""One routed batch of light messages, sorted once for the lights' parts (hub/lights/service.py).

The router hands "svc-lights" everything queued as one batch: under a backlog, many samples per light.
Each part wants a different cut of it. The commands take every availability, ack and state in arrival
order (each ack counts, and a state between two acks may confirm a command). Energy and faults take each
light's telemetry and fault events in that light's own order: a meter's intervals and a detector's streak
run per light and lights never meet within a batch, so a part walks one light's run with its state at hand
instead of looking it all up again for every sample.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from devices.contract import Channel, Kind
from hub.domain import Accepted

CONTROL: Final = frozenset({Channel.AVAILABILITY, Channel.ACK, Channel.STATE})  # the commands'; energy and
# faults read each light's TELEMETRY and EVENT

Runs = dict[str, list[Accepted]]  # light -> its telemetry and events, in arrival order


@dataclass(slots=True)
class Sorted:
    control: list[Accepted] = field(default_factory=list)
    runs: Runs = field(default_factory=dict)


def sort_batch(batch: Iterable[Accepted]) -> Sorted:
    """One pass: the commands' messages in order, and each light's run (lights in order of first arrival).
    Channels are compared by identity: hashing an enum member runs Python code, per message."""
    out = Sorted()
    control, runs = out.control, out.runs
    light, telemetry, event = Kind.LIGHT, Channel.TELEMETRY, Channel.EVENT
    for item in batch:
        where = item.where
        if where.kind is not light:
            continue
        channel = where.channel
        if channel is telemetry or channel is event:
            run = runs.get(where.device)
            if run is None:
                runs[where.device] = [item]
            else:
                run.append(item)
        elif channel in CONTROL:
            control.append(item)
    return out
