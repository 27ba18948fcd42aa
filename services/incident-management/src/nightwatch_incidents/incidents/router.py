"""Public incident API (`/api/v1/incidents`, proxied by the gateway). Thin: parse, call, commit."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import ApiError

from nightwatch_incidents.incidents import flows, queries, service
from nightwatch_incidents.incidents.dependencies import ActorDep, FiltersDep, IdempotencyKeyDep
from nightwatch_incidents.incidents.models import Incident
from nightwatch_incidents.incidents.queries import SortParam
from nightwatch_incidents.incidents.schemas import (
    IncidentAlertPage,
    IncidentCreate,
    IncidentDetail,
    IncidentMetrics,
    IncidentRead,
    IncidentUpdate,
    NoteRead,
    Page,
    StatsSummary,
    TimelineEntryRead,
    UtcDatetime,
)
from nightwatch_incidents.incidents.states import Status, allowed_next
from nightwatch_incidents.metrics import INCIDENT_MTTA, INCIDENT_MTTR, INCIDENTS_CREATED

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

MAX_PAGE_SIZE = 200
MAX_OFFSET = 100_000
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown incident"},
    422: {"description": "Invalid input (common error body)"},
}


def to_read(incident: Incident) -> IncidentRead:
    return IncidentRead(
        id=incident.id,
        title=incident.title,
        description=incident.description,
        service=incident.service,
        severity=incident.severity,  # type: ignore[arg-type]
        status=incident.status,  # type: ignore[arg-type]
        team=incident.team,
        assignee=incident.assignee,
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        acknowledged_by=incident.acknowledged_by,
        resolved_by=incident.resolved_by,
        alert_count=incident.alert_count,
        duplicate_count=incident.duplicate_count,
        mtta_seconds=service.mtta_seconds(incident),
        mttr_seconds=service.mttr_seconds(incident),
        allowed_transitions=allowed_next(incident.status),  # type: ignore[arg-type]
    )


@router.post(
    "",
    status_code=201,
    responses={200: {"model": IncidentRead, "description": "Replay of an Idempotency-Key"}},
)
async def create_incident(
    body: IncidentCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    actor: ActorDep,
    key: IdempotencyKeyDep,
) -> IncidentRead:
    """Open an incident and start paging its team's on-call (durably, even if on-call is down)."""
    settings = request.app.state.settings
    incident, created = await service.create_incident(
        session=session,
        data=body,
        actor=actor,
        now=clock.now(),
        default_team=settings.default_team,
        idempotency_key=key,
    )
    if created:
        await flows.queue_escalation_start(session, request.app, incident)
    await session.commit()
    if created:
        INCIDENTS_CREATED.labels(incident.severity).inc()
        request.app.state.job_queue.wake()
    else:
        response.status_code = 200
    return to_read(incident)


@router.get("")
async def list_incidents(
    session: SessionDep,
    filters: FiltersDep,
    sort: SortParam = "-created_at",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Page[IncidentRead]:
    """Newest first by default; `status` and `severity` take several values."""
    items, total = await queries.list_incidents(
        session=session, filters=filters, sort=sort, limit=limit, offset=offset
    )
    return Page[IncidentRead](
        items=[to_read(i) for i in items], total=total, limit=limit, offset=offset
    )


@router.get("/stats/summary", responses={422: _ERRORS[422]})
async def stats_summary(
    session: SessionDep,
    since: Annotated[UtcDatetime | None, Query(description="created at or after")] = None,
    until: Annotated[UtcDatetime | None, Query(description="created before")] = None,
) -> StatsSummary:
    """Counts by status and severity; mean/p50/p90 MTTA and MTTR in seconds (default: all time)."""
    return await queries.stats_summary(session=session, since=since, until=until)


@router.get("/{incident_id}", responses=_ERRORS)
async def get_incident(
    incident_id: uuid.UUID, request: Request, session: SessionDep
) -> IncidentDetail:
    """The incident with its alerts (from alert ingestion), notes and timeline."""
    incident = await service.get_incident(session=session, incident_id=incident_id)
    notes = await service.list_notes(session=session, incident_id=incident_id)
    timeline = await service.list_timeline(session=session, incident_id=incident_id)
    alerts, next_cursor, source = await flows.fetch_alerts(request.app, incident_id)
    return IncidentDetail(
        **to_read(incident).model_dump(),
        alerts=alerts,
        alerts_next_cursor=next_cursor,
        alerts_source=source,  # type: ignore[arg-type]
        notes=[NoteRead.model_validate(n, from_attributes=True) for n in notes],
        timeline=[TimelineEntryRead.model_validate(t, from_attributes=True) for t in timeline],
    )


@router.patch(
    "/{incident_id}", responses={**_ERRORS, 409: {"description": "Transition not allowed"}}
)
async def update_incident(
    incident_id: uuid.UUID,
    body: IncidentUpdate,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    actor: ActorDep,
) -> IncidentRead:
    """Change status (state machine), assignee and/or add a note. A refused transition is 409
    with `details.current_status` and `details.allowed_transitions`. Of two simultaneous
    acknowledges exactly one wins (row lock); the other gets that 409."""
    app = request.app
    incident = await service.get_incident(session=session, incident_id=incident_id, lock=True)
    outcome = await service.update_incident(
        session=session, incident=incident, changes=body, actor=actor, now=clock.now()
    )
    stop_reason = None
    if outcome.transition in (Status.ACKNOWLEDGED, Status.RESOLVED):
        stop_reason = outcome.transition.value
        await flows.queue_escalation_stop(session, app, incident, reason=stop_reason, actor=actor)
    await session.commit()
    if (
        outcome.transition is Status.ACKNOWLEDGED
        and (mtta := service.mtta_seconds(incident)) is not None
    ):
        INCIDENT_MTTA.observe(mtta)
    if (
        outcome.transition is Status.RESOLVED
        and (mttr := service.mttr_seconds(incident)) is not None
    ):
        INCIDENT_MTTR.observe(mttr)
    if stop_reason is not None:
        await flows.stop_escalation_now(app, session, incident.id, reason=stop_reason, actor=actor)
    return to_read(incident)


@router.get(
    "/{incident_id}/alerts",
    responses={**_ERRORS, 503: {"description": "Alert ingestion cannot be reached"}},
)
async def incident_alerts(
    incident_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor")] = None,
) -> IncidentAlertPage:
    """Every alert of the incident, newest first, page by page (stored once, by ingestion)."""
    await service.get_incident(session=session, incident_id=incident_id)  # 404 if unknown
    await session.rollback()  # hold no transaction open across the call
    if cursor is not None and "\x00" in cursor:
        raise ApiError(422, "Invalid cursor: pass next_cursor from a previous page")
    page = await flows.fetch_alert_page(request.app, incident_id, limit=limit, cursor=cursor)
    return IncidentAlertPage(**page)


@router.get("/{incident_id}/metrics", responses=_ERRORS)
async def incident_metrics(incident_id: uuid.UUID, session: SessionDep) -> IncidentMetrics:
    """MTTA and MTTR in seconds; null until the incident is acknowledged / resolved."""
    incident = await service.get_incident(session=session, incident_id=incident_id)
    return IncidentMetrics(
        incident_id=incident.id,
        status=incident.status,  # type: ignore[arg-type]
        created_at=incident.created_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        mtta_seconds=service.mtta_seconds(incident),
        mttr_seconds=service.mttr_seconds(incident),
    )
