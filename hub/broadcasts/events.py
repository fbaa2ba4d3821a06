"""The broadcasts' domain events for the phone app: a bulletin changed (everyone: the schedule), its delivery
as it happens ("4/4 loa đang phát", everyone), dead air and speaker faults (the head and technicians)."""

from __future__ import annotations

from collections.abc import Sequence

from hub.broadcasts.asrun import rollup
from hub.broadcasts.faults import TITLES
from hub.broadcasts.model import Bulletin
from hub.broadcasts.store import Run, SpeakerFault
from hub.events import EVERYONE, OPERATORS, DomainEvent, EventHub


def changed_event(b: Bulletin) -> DomainEvent:
    return DomainEvent("broadcast_changed", EVERYONE, {"id": b.id, "status": b.status}, key=f"bulletin:{b.id}")


def publish_delivery(events: EventHub, bulletin_id: str, occurrence_id: str, runs: Sequence[Run]) -> None:
    events.publish(DomainEvent("broadcast_delivery", EVERYONE,
                               {"bulletin": bulletin_id, "occurrence": occurrence_id, **rollup(runs)},
                               key=f"delivery:{occurrence_id}"))
    dead = [r.speaker for r in runs if r.outcome == "no_report"]
    if dead:
        events.publish(DomainEvent("broadcast_dead_air", OPERATORS,
                                   {"bulletin": bulletin_id, "occurrence": occurrence_id, "speakers": dead},
                                   key=f"dead-air:{occurrence_id}"))


def fault_event(fault: SpeakerFault) -> DomainEvent:
    vi, en = TITLES.get(fault.kind, (fault.kind, fault.kind))
    return DomainEvent("speaker_fault", OPERATORS,
                       {"id": fault.id, "kind": fault.kind, "subject": fault.subject, "vi": vi, "en": en,
                        "open": fault.closed_ms is None}, key=f"speaker-fault:{fault.id}")
