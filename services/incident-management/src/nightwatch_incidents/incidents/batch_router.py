"""Service-to-service batch route for timelines (`/internal/v1`, never proxied by the gateway)."""

from __future__ import annotations

from fastapi import APIRouter
from nightwatch_contracts.timeline import TimelineBatch, TimelineBatchItem, TimelineBatchResult
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep

from nightwatch_incidents.incidents.batch_timeline import Entry, append_timeline_many

router = APIRouter(prefix="/internal/v1/incidents", tags=["internal"])


@router.post("/timeline/batch")
async def add_timeline_entries(
    body: TimelineBatch, session: SessionDep, clock: ClockDep
) -> TimelineBatchResult:
    """Many entries from another service at once (on-call sends its lookups, pages and
    escalations together); each as `POST /{id}/timeline` would take it, idempotent per
    dedup_key, with its own status in the result (201, 200 replay, 404 unknown incident)."""
    statuses = await append_timeline_many(
        session=session,
        entries=[
            Entry(
                incident_id=entry.incident_id,
                event_type=entry.event_type,
                actor=entry.actor,
                message=entry.message,
                data=entry.data,
                dedup_key=entry.dedup_key,
            )
            for entry in body.entries
        ],
        now=clock.now(),
    )
    await session.commit()
    return TimelineBatchResult(results=[TimelineBatchItem(status=status) for status in statuses])
