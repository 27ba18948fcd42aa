"""HTTP routes of the escalation side: policies (public), escalations (public + internal)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from nightwatch_contracts.escalations import (
    EscalationStart,
    EscalationStartBatch,
    EscalationStartBatchResult,
    EscalationStarted,
    EscalationStop,
    EscalationStopBatch,
    EscalationStopBatchResult,
    EscalationStopped,
)
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import NotFound
from nightwatch_core.validation import Limit, Offset, Page

from nightwatch_oncall.escalation import policies, service, stopping
from nightwatch_oncall.escalation.metrics import ESCALATIONS
from nightwatch_oncall.escalation.models import Escalation
from nightwatch_oncall.escalation.schemas import (
    EscalateRequest,
    EscalationRead,
    EventRead,
    PageSentRead,
    PolicyCreate,
    PolicyRead,
    PolicyUpdate,
)
from nightwatch_oncall.escalation.stopping import Stop
from nightwatch_oncall.escalation.workers import runtime

router = APIRouter(prefix="/api/v1", tags=["escalation"])
internal_router = APIRouter(prefix="/internal/v1", tags=["internal: escalation"])

Actor = Annotated[str, Header(alias="X-Actor", max_length=200)]
EscalationStatus = Literal["active", "exhausted", "stopped"]


async def _reads(session: SessionDep, escalations: list[Escalation]) -> list[EscalationRead]:
    events, pages = await service.history(
        session=session, incident_ids=[e.incident_id for e in escalations]
    )
    reads = []
    for e in escalations:
        active = e.status == "active"
        reads.append(
            EscalationRead(
                incident_id=e.incident_id,
                team=e.team,
                title=e.title,
                service=e.service,
                severity=e.severity,
                status=e.status,  # type: ignore[arg-type]
                policy_id=e.policy_id,
                policy=e.policy_snapshot,
                last_level=None if e.last_level is None else e.last_level + 1,
                next_level=e.next_level + 1 if active else None,
                round=(e.next_round if active else (e.last_round or 0)) + 1,
                next_step_at=e.next_step_at,
                steps_taken=e.steps_taken,
                stop_reason=e.stop_reason,
                stopped_by=e.stopped_by,
                stopped_at=e.stopped_at,
                created_at=e.created_at,
                updated_at=e.updated_at,
                events=[EventRead.model_validate(x) for x in events[e.incident_id]],
                pages=[PageSentRead.model_validate(x) for x in pages[e.incident_id]],
            )
        )
    return reads


# ---------------------------------------------------------------- policies


@router.post("/escalation-policies", status_code=status.HTTP_201_CREATED, response_model=PolicyRead)
async def create_policy(body: PolicyCreate, session: SessionDep, clock: ClockDep) -> PolicyRead:
    policy = await policies.create_policy(session=session, data=body, now=clock.now())
    await session.commit()
    return PolicyRead.model_validate(policy)


@router.get("/escalation-policies", response_model=Page[PolicyRead])
async def list_policies(
    session: SessionDep,
    team: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PolicyRead]:
    items, total = await policies.list_policies(
        session=session, team=team, limit=limit, offset=offset
    )
    return Page[PolicyRead](
        items=[PolicyRead.model_validate(p) for p in items], total=total, limit=limit, offset=offset
    )


@router.get("/escalation-policies/{policy_id}", response_model=PolicyRead)
async def get_policy(policy_id: uuid.UUID, session: SessionDep) -> PolicyRead:
    return PolicyRead.model_validate(
        await policies.get_policy(session=session, policy_id=policy_id)
    )


@router.patch("/escalation-policies/{policy_id}", response_model=PolicyRead)
async def update_policy(
    policy_id: uuid.UUID, body: PolicyUpdate, session: SessionDep, clock: ClockDep
) -> PolicyRead:
    policy = await policies.get_policy(session=session, policy_id=policy_id)
    policy = await policies.update_policy(
        session=session, policy=policy, data=body, now=clock.now()
    )
    await session.commit()
    return PolicyRead.model_validate(policy)


@router.delete("/escalation-policies/{policy_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_policy(policy_id: uuid.UUID, session: SessionDep) -> Response:
    policy = await policies.get_policy(session=session, policy_id=policy_id)
    await policies.delete_policy(session=session, policy=policy)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- escalations


@router.get("/escalations", response_model=Page[EscalationRead])
async def list_escalations(
    session: SessionDep,
    incident_id: uuid.UUID | None = None,
    team: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    status: EscalationStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EscalationRead]:
    items, total = await service.list_escalations(
        session=session,
        incident_id=incident_id,
        team=team,
        status=status,
        limit=limit,
        offset=offset,
    )
    return Page[EscalationRead](
        items=await _reads(session, items), total=total, limit=limit, offset=offset
    )


@router.get("/escalations/{incident_id}", response_model=EscalationRead)
async def get_escalation(incident_id: uuid.UUID, session: SessionDep) -> EscalationRead:
    escalation = await service.get_escalation(session=session, incident_id=incident_id)
    if escalation is None:
        raise NotFound("Escalation for incident", incident_id)
    return (await _reads(session, [escalation]))[0]


@router.post("/escalate", response_model=EscalationRead)
async def escalate(
    body: EscalateRequest,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    actor: Actor = "anonymous",
) -> EscalationRead:
    """Escalate an incident now: page its next level, or hand it to another team (level 1)."""
    escalation = await service.escalate_now(
        session=session,
        incident_id=body.incident_id,
        team=body.team,
        actor=actor.strip().replace("\x00", "") or "anonymous",
        now=clock.now(),
    )
    await session.commit()
    ESCALATIONS.labels(escalation.team or "").inc()
    runtime(request.app).wake()
    return (await _reads(session, [escalation]))[0]


@internal_router.post("/escalations", response_model=EscalationRead)
async def start_escalation(
    body: EscalationStart,
    request: Request,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
) -> EscalationRead:
    """Start escalating a new incident (idempotent per incident_id: 201 first, then 200)."""
    escalation, created = await service.start(session=session, data=body, now=clock.now())
    await session.commit()
    if created:
        runtime(request.app).wake()
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return (await _reads(session, [escalation]))[0]


@internal_router.post("/escalations/batch", response_model=EscalationStartBatchResult)
async def start_escalations(
    body: EscalationStartBatch, request: Request, session: SessionDep, clock: ClockDep
) -> EscalationStartBatchResult:
    """Start escalating many new incidents at once (incident-management's outbox sends its due
    starts together); per incident exactly as `POST /internal/v1/escalations`, idempotent."""
    started = await service.start_many(session=session, items=body.escalations, now=clock.now())
    await session.commit()
    if any(created for _, created in started):
        runtime(request.app).wake_senders()  # level 1 is paged already: its pages are queued
    return EscalationStartBatchResult(
        results=[
            EscalationStarted(incident_id=e.incident_id, created=created, status=e.status)  # type: ignore[arg-type]
            for e, created in started
        ]
    )


@internal_router.post("/escalations/{incident_id}/stop", response_model=EscalationRead)
async def stop_escalation(
    incident_id: uuid.UUID,
    body: EscalationStop,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
) -> EscalationRead:
    """Stop at once on acknowledge/resolve (idempotent); no page goes out after this returns."""
    stop = Stop(incident_id=incident_id, reason=body.reason, actor=body.actor)
    async with request.app.state.db_pool.acquire() as conn:
        await stopping.stop_many(conn, stops=[stop], now=clock.now())
    escalation = await service.get_escalation(session=session, incident_id=incident_id)
    assert escalation is not None  # the stop inserted it if it did not exist
    return (await _reads(session, [escalation]))[0]


@internal_router.post("/escalations/stops", response_model=EscalationStopBatchResult)
async def stop_escalations(
    body: EscalationStopBatch, request: Request, clock: ClockDep
) -> EscalationStopBatchResult:
    """Many stops in one statement (incident management sends concurrent acknowledges' stops
    together); per stop exactly as `POST /internal/v1/escalations/{id}/stop`."""
    stops = [Stop(incident_id=s.incident_id, reason=s.reason, actor=s.actor) for s in body.stops]
    async with request.app.state.db_pool.acquire() as conn:
        stopped = await stopping.stop_many(conn, stops=stops, now=clock.now())
    return EscalationStopBatchResult(
        results=[
            EscalationStopped(
                incident_id=s.incident_id,
                status=s.status,  # type: ignore[arg-type]
                stop_reason=s.stop_reason,
            )
            for s in stopped
        ]
    )
