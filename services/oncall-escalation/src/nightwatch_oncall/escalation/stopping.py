"""Stopping escalations on acknowledge / resolve, many in one transaction.

Incident management sends the stops of concurrent acknowledges together (POST
/internal/v1/escalations/stops), so a burst of acks costs a constant number of statements per
batch here instead of ~8 round trips per ack. The single route is the same code with one stop.

Per batch: one INSERT … ON CONFLICT DO NOTHING (a stop before the start leaves a stopped record,
so the late start pages nobody), one SELECT … FOR UPDATE of every escalation in incident order (it
waits for a page being sent right now, so once this commits no page goes out; the fixed order
keeps two concurrent batches from deadlocking), one UPDATE cancelling the queued pages, then the
changed rows and their events at the flush.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.escalation.models import Escalation, EscalationEvent, EscalationPage
from nightwatch_oncall.escalation.steps import new_event


@dataclass(frozen=True)
class Stop:
    incident_id: uuid.UUID
    reason: str  # "acknowledged" | "resolved"
    actor: str


async def stop_many(
    *, session: AsyncSession, stops: Sequence[Stop], now: datetime
) -> list[Escalation]:
    """Stop each incident's escalation (idempotent); the escalations, in the order of ``stops``.

    An incident named twice (its acknowledge and its resolve in one batch) is stopped in order:
    each round holds an incident at most once."""
    stopped: dict[uuid.UUID, Escalation] = {}
    remaining = list(stops)
    while remaining:
        this_round: dict[uuid.UUID, Stop] = {}
        later: list[Stop] = []
        for stop in remaining:
            if stop.incident_id in this_round:
                later.append(stop)
            else:
                this_round[stop.incident_id] = stop
        stopped.update(await _stop_round(session, this_round, now))
        remaining = later
    return [stopped[stop.incident_id] for stop in stops]


async def _stop_round(
    session: AsyncSession, stops: dict[uuid.UUID, Stop], now: datetime
) -> dict[uuid.UUID, Escalation]:
    ids = sorted(stops)
    created = set(
        await session.scalars(
            insert(Escalation)
            .values(
                [
                    {
                        "incident_id": incident_id,
                        "status": "stopped",
                        "stop_reason": stops[incident_id].reason,
                        "stopped_by": stops[incident_id].actor,
                        "stopped_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for incident_id in ids
                ]
            )
            .on_conflict_do_nothing(index_elements=[Escalation.incident_id])
            .returning(Escalation.incident_id)
        )
    )
    escalations = {
        e.incident_id: e
        for e in await session.scalars(
            select(Escalation)
            .where(Escalation.incident_id.in_(ids))
            .order_by(Escalation.incident_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    running = [i for i in ids if escalations[i].status != "stopped"]
    cancelled: Counter[uuid.UUID] = Counter()
    if running:
        cancelled.update(
            await session.scalars(
                update(EscalationPage)
                .where(EscalationPage.incident_id.in_(running), EscalationPage.status == "queued")
                .values(status="cancelled")
                .returning(EscalationPage.incident_id)
            )
        )
    for incident_id in ids:
        event = _apply(
            escalations[incident_id],
            stops[incident_id],
            now,
            created=incident_id in created,
            cancelled=cancelled[incident_id],
        )
        if event is not None:
            session.add(event)
    await session.flush()
    return escalations


def _apply(
    escalation: Escalation, stop: Stop, now: datetime, *, created: bool, cancelled: int
) -> EscalationEvent | None:
    """Change one locked escalation; the event that says so (None: nothing changed)."""
    reason, actor = stop.reason, stop.actor
    if created:
        return new_event(
            escalation,
            now,
            "stopped",
            f"Stopped before it started: {reason} by {actor}",
            actor=actor,
        )
    if escalation.status == "stopped":
        if reason == "resolved" and escalation.stop_reason == "acknowledged":
            escalation.stop_reason, escalation.updated_at = reason, now
            return new_event(escalation, now, "stopped", f"Resolved by {actor}", actor=actor)
        return None
    escalation.status = "stopped"
    escalation.next_step_at = None
    escalation.manual_by = None
    escalation.stop_reason, escalation.stopped_by, escalation.stopped_at = reason, actor, now
    escalation.updated_at = now
    note = f"; {cancelled} page(s) not yet sent were cancelled" if cancelled else ""
    return new_event(
        escalation, now, "stopped", f"Escalation stopped: {reason} by {actor}{note}", actor=actor
    )
