"""Public incident API (`/api/v1/incidents`, proxied by the gateway). Thin: parse, call, commit."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request, Response
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import NotFound
from nightwatch_core.shared_reads import SharedReads
from nightwatch_core.timeseries import Bucket, TimeRangeDep, TimeSeries, fetch_series, plan_buckets
from nightwatch_core.validation import UtcDatetime

from nightwatch_incidents.incidents import flows, hot_paths, queries, service, stopping
from nightwatch_incidents.incidents.dependencies import (
    ActorDep,
    FiltersDep,
    IdempotencyKeyDep,
    PoolDep,
)
from nightwatch_incidents.incidents.models import Incident
from nightwatch_incidents.incidents.queries import GroupBy, SortParam
from nightwatch_incidents.incidents.schemas import (
    GroupStatsPage,
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
)
from nightwatch_incidents.incidents.states import Status, allowed_next
from nightwatch_incidents.metrics import INCIDENT_MTTA, INCIDENTS_CREATED, observe_transition

T = TypeVar("T")
router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

MAX_PAGE_SIZE = 200
MAX_OFFSET = 100_000
MAX_GROUPS = 100
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown incident"},
    422: {"description": "Invalid input (common error body)"},
}


_READ_FIELDS = [name.strip() for name in hot_paths.READ_COLUMNS.split(",")]


def read_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """IncidentRead's fields from a row of ``hot_paths.READ_COLUMNS`` (validated by the caller:
    a whole page in one pydantic call is cheaper than a model per row)."""
    created, acked, resolved = row["created_at"], row["acknowledged_at"], row["resolved_at"]
    return {
        **{name: row[name] for name in _READ_FIELDS},
        "mtta_seconds": None if acked is None else (acked - created).total_seconds(),
        "mttr_seconds": None if resolved is None else (resolved - created).total_seconds(),
        "allowed_transitions": allowed_next(row["status"]),
    }


def read_row(row: Mapping[str, Any]) -> IncidentRead:
    return IncidentRead.model_validate(read_fields(row))


def to_read(incident: Incident) -> IncidentRead:
    return read_row({name: getattr(incident, name) for name in _READ_FIELDS})


@router.post(
    "",
    status_code=201,
    responses={200: {"model": IncidentRead, "description": "Replay of an Idempotency-Key"}},
)
async def create_incident(
    body: IncidentCreate,
    request: Request,
    response: Response,
    pool: PoolDep,
    clock: ClockDep,
    actor: ActorDep,
    key: IdempotencyKeyDep,
) -> IncidentRead:
    """Open an incident and start paging its team's on-call (durably, even if on-call is down)."""
    async with pool.acquire() as conn:
        row, created = await hot_paths.create_incident(
            conn,
            data=body,
            actor=actor,
            now=clock.now(),
            default_team=request.app.state.settings.default_team,
            idempotency_key=key,
        )
    if created:
        INCIDENTS_CREATED.labels(row["severity"]).inc()
        request.app.state.job_queue.wake()
    else:
        response.status_code = 200
    return read_row(row)


@router.get("", response_model=Page[IncidentRead])
async def list_incidents(
    pool: PoolDep,
    filters: FiltersDep,
    sort: SortParam = "-created_at",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """Newest first by default; `status` and `severity` take several values."""
    async with pool.acquire() as conn:
        rows, total = await queries.list_incidents(
            conn, filters=filters, sort=sort, limit=limit, offset=offset
        )
    page = Page[IncidentRead].model_validate(
        {
            "items": [read_fields(row) for row in rows],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )
    # Built and validated once here; returning the model would have FastAPI validate it again.
    return Response(page.model_dump_json(), media_type="application/json")


async def _shared(request: Request, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
    """Dashboards open in several browsers ask for the same figures at the same moment: one
    computation in flight per identical question, its answer handed to everyone who asked while
    it ran (nightwatch_core/shared_reads.py)."""
    shared: SharedReads = request.app.state.shared_stats
    return await shared.read(key, compute)


@router.get("/stats/summary", responses={422: _ERRORS[422]})
async def stats_summary(
    request: Request,
    pool: PoolDep,
    since: Annotated[UtcDatetime | None, Query(description="created at or after")] = None,
    until: Annotated[UtcDatetime | None, Query(description="created before")] = None,
) -> StatsSummary:
    """Counts by status and severity (and of the unresolved by severity); mean/p50/p90 MTTA and
    MTTR in seconds (default: all time)."""

    async def compute() -> StatsSummary:
        async with pool.acquire() as conn:
            return await queries.stats_summary(conn, since=since, until=until)

    return await _shared(request, ("summary", since, until), compute)


@router.get("/stats/timeseries", responses={422: _ERRORS[422]})
async def stats_timeseries(
    request: Request,
    pool: PoolDep,
    clock: ClockDep,
    period: TimeRangeDep,
    bucket: Bucket = "hour",
) -> TimeSeries:
    """Incidents created per bucket, every bucket present (zeros included), oldest first; default
    range: the 24 hours before `until` (default: now); at most 1,440 buckets."""
    plan = plan_buckets(period=period, bucket=bucket, now=clock.now())

    async def compute() -> TimeSeries:
        async with pool.acquire() as conn:
            return await fetch_series(
                conn, table="incidents.incidents", column="created_at", plan=plan
            )

    return await _shared(request, ("timeseries", period.since, period.until, bucket), compute)


@router.get("/stats/by-group", responses={422: _ERRORS[422]})
async def stats_by_group(
    request: Request,
    pool: PoolDep,
    period: TimeRangeDep,
    by: GroupBy = "team",
    limit: Annotated[int, Query(ge=1, le=MAX_GROUPS)] = 20,
) -> GroupStatsPage:
    """Per team or service (created in the range, default all time): total, unresolved, and
    mean/p50/p90 MTTA and MTTR in seconds; the `limit` largest groups, most incidents first."""

    async def compute() -> GroupStatsPage:
        async with pool.acquire() as conn:
            return await queries.stats_by_group(
                conn, by=by, since=period.since, until=period.until, limit=limit
            )

    return await _shared(request, ("by-group", by, period.since, period.until, limit), compute)


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
    clock: ClockDep,
    actor: ActorDep,
) -> IncidentRead:
    """Change status (state machine), assignee and/or add a note. A refused transition is 409
    with `details.current_status` and `details.allowed_transitions`. Of two simultaneous
    acknowledges exactly one wins (row lock); the other gets that 409."""
    app = request.app
    if body.model_fields_set == {"status"} and body.status in hot_paths.HOT_TRANSITIONS:
        return await _hot_transition(app, incident_id, body.status, actor, clock.now())
    # The session is opened here, not as a dependency: the hot transition above needs none.
    async with app.state.sessionmaker() as session:
        incident = await service.get_incident(session=session, incident_id=incident_id, lock=True)
        outcome = await service.update_incident(
            session=session, incident=incident, changes=body, actor=actor, now=clock.now()
        )
        stop_reason = None
        if outcome.transition in (Status.ACKNOWLEDGED, Status.RESOLVED):
            stop_reason = outcome.transition.value
            await stopping.queue_escalation_stop(
                session, app, incident, reason=stop_reason, actor=actor
            )
        await session.commit()
        answer = to_read(incident)
        if outcome.transition is not None:
            observe_transition(incident, outcome.transition)
    if stop_reason is not None:
        await stopping.stop_escalation_now(app, incident_id, reason=stop_reason, actor=actor)
    return answer


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
        raise flows.InvalidAlertCursor()
    page = await flows.fetch_alert_page(request.app, incident_id, limit=limit, cursor=cursor)
    return IncidentAlertPage(**page)


async def _hot_transition(
    app: FastAPI,
    incident_id: uuid.UUID,
    target: Status,
    actor: str,
    now: datetime,
) -> IncidentRead:
    """Acknowledge or start work (status alone): one statement, then as update_incident."""
    grace = timedelta(seconds=app.state.settings.escalation_stop_grace_seconds)
    # The connection goes back before the stop call, which takes one for its job row.
    async with app.state.db_pool.acquire() as conn:
        row = await hot_paths.transition(
            conn, incident_id=incident_id, target=target, actor=actor, now=now, stop_grace=grace
        )
    if row is None:
        raise NotFound("Incident", incident_id)
    if isinstance(row, str):
        raise service.InvalidTransition(row, target.value)
    if target is Status.ACKNOWLEDGED:
        INCIDENT_MTTA.observe((row["acknowledged_at"] - row["created_at"]).total_seconds())
        await stopping.stop_escalation_now(app, incident_id, reason=target.value, actor=actor)
    return read_row(row)


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
