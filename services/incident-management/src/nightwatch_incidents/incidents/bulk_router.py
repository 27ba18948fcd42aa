"""Acknowledge or resolve many incidents in one request (`POST /api/v1/incidents/bulk`).

One transaction: the rows are locked in id order (two bulk requests over the same incidents
wait for each other instead of deadlocking), each incident gets the single PATCH's rules (the
state machine, the timeline entry, the durable escalation stop) and its own result: 200 with
the incident, 404 unknown, or 409 with the transitions its status allows. Whatever is allowed
is applied even when others are refused; nothing is half-applied to one incident.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Literal

from fastapi import APIRouter, Request
from nightwatch_core.clock import ClockDep
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from nightwatch_incidents.incidents import service, stopping
from nightwatch_incidents.incidents.dependencies import ActorDep
from nightwatch_incidents.incidents.models import Incident
from nightwatch_incidents.incidents.router import to_read
from nightwatch_incidents.incidents.schemas import IncidentRead, IncidentUpdate, NoteText
from nightwatch_incidents.incidents.states import Status, allowed_next, is_allowed
from nightwatch_incidents.metrics import observe_transition

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

MAX_BULK = 200
_TARGETS = {"acknowledge": Status.ACKNOWLEDGED, "resolve": Status.RESOLVED}


class BulkAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["acknowledge", "resolve"]
    incident_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK)
    note: NoteText | None = Field(default=None, description="added to each changed incident")


class BulkItem(BaseModel):
    incident_id: uuid.UUID
    status: Literal[200, 404, 409] = Field(description="what a PATCH of this incident answers")
    result: Literal["ok", "not_found", "invalid_transition"]
    message: str
    current_status: Status | None = None
    allowed_transitions: list[Status] = Field(default_factory=list)
    incident: IncidentRead | None = None


class BulkResult(BaseModel):
    action: Literal["acknowledge", "resolve"]
    ok: int
    failed: int
    results: list[BulkItem] = Field(description="one per distinct id, in the order sent")


def _refused(incident: Incident, target: Status) -> BulkItem:
    allowed = allowed_next(incident.status)
    return BulkItem(
        incident_id=incident.id,
        status=409,
        result="invalid_transition",
        message=f"Cannot change status from {incident.status} to {target.value}; "
        f"allowed next: {', '.join(allowed) or 'none (resolved is final)'}",
        current_status=Status(incident.status),
        allowed_transitions=[Status(s) for s in allowed],
    )


@router.post("/bulk", responses={422: {"description": "Invalid input (common error body)"}})
async def bulk_action(
    body: BulkAction, request: Request, clock: ClockDep, actor: ActorDep
) -> BulkResult:
    """Acknowledge or resolve up to 200 incidents at once; a result per incident (200 / 404 /
    409), in the order sent, with the changed incident. Always 200 when the body is valid."""
    app = request.app
    target = _TARGETS[body.action]
    ids = list(dict.fromkeys(body.incident_ids))  # a repeated id is one incident, once
    changed: list[Incident] = []
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(
            select(Incident)
            .where(Incident.id.in_(ids))
            .order_by(Incident.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        found = {incident.id: incident for incident in rows}
        results: list[BulkItem] = []
        for incident_id in ids:
            incident = found.get(incident_id)
            if incident is None:
                results.append(
                    BulkItem(
                        incident_id=incident_id,
                        status=404,
                        result="not_found",
                        message=f"Incident {incident_id} not found",
                    )
                )
                continue
            if not is_allowed(incident.status, target):
                results.append(_refused(incident, target))
                continue
            note = {} if body.note is None else {"note": body.note}
            changes = IncidentUpdate.model_validate({"status": target.value, **note})
            await service.update_incident(
                session=session, incident=incident, changes=changes, actor=actor, now=clock.now()
            )
            await stopping.queue_escalation_stop(
                session, app, incident, reason=target.value, actor=actor
            )
            changed.append(incident)
            results.append(
                BulkItem(
                    incident_id=incident_id,
                    status=200,
                    result="ok",
                    message=f"Status {target.value}",
                    incident=to_read(incident),
                )
            )
        await session.commit()
    for incident in changed:
        observe_transition(incident, target)
    # After the commit, as for one PATCH: on-call hears of every stop at once (the coalescer
    # sends them as one call); the queued jobs cover any that fail.
    await asyncio.gather(
        *(
            stopping.stop_escalation_now(app, i.id, reason=target.value, actor=actor)
            for i in changed
        )
    )
    ok = sum(1 for item in results if item.status == 200)
    return BulkResult(action=body.action, ok=ok, failed=len(results) - ok, results=results)
