"""Service-to-service routes (`/internal/v1`, never proxied by the gateway)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from nightwatch_contracts.timeline import TimelineCreate
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from pydantic import BaseModel, Field
from sqlalchemy import text

from nightwatch_incidents.incidents import service
from nightwatch_incidents.incidents.page_state import record_outcomes

router = APIRouter(prefix="/internal/v1/incidents", tags=["internal"])


@router.post(
    "/{incident_id}/timeline",
    status_code=201,
    responses={
        200: {"description": "Replay of a dedup_key: nothing written"},
        404: {"description": "Unknown incident"},
    },
)
async def add_timeline_entry(
    incident_id: uuid.UUID,
    body: TimelineCreate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
) -> dict[str, bool]:
    """An entry from another service (on-call lookup, page sent, escalated); idempotent per
    dedup_key."""
    incident = await service.get_incident(session=session, incident_id=incident_id)
    created = await service.append_timeline(
        session=session,
        incident_id=incident_id,
        event_type=body.event_type,
        actor=body.actor,
        now=max(clock.now(), incident.created_at),
        message=body.message,
        data=body.data,
        dedup_key=body.dedup_key,
    )
    await record_outcomes(session=session, entries=[(incident_id, body.event_type)])
    await session.commit()
    if not created:
        response.status_code = 200
    return {"created": created}


class IncidentIdsIn(BaseModel):
    incident_ids: list[uuid.UUID] = Field(max_length=10_000)


class ResolvedOut(BaseModel):
    resolved: list[uuid.UUID]


@router.post("/resolved")
async def resolved_among(body: IncidentIdsIn, session: SessionDep) -> ResolvedOut:
    """Which of these incidents are resolved (final): alert retention may remove their alerts.
    Unknown ids are not listed, so their alerts are kept."""
    rows = await session.execute(
        text("SELECT id FROM incidents.incidents WHERE id = ANY(:ids) AND status = 'resolved'"),
        {"ids": body.incident_ids},
    )
    return ResolvedOut(resolved=list(rows.scalars()))
