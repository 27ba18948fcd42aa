"""Data functions: keyword-only, take the session, flush, never commit, never call other services.

The caller (router or job handler) commits once; side effects are queued by ``flows``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nightwatch_core.errors import ApiError, NotFound
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_incidents.incidents.models import Incident, IncidentNote, TimelineEntry
from nightwatch_incidents.incidents.schemas import IncidentUpdate
from nightwatch_incidents.incidents.states import Status, allowed_next, is_allowed

_CLOSE_ALERT_GROUP = text(
    "UPDATE incidents.alert_groups SET closed_at = :at, close_reason = 'resolved' "
    "WHERE incident_id = :id AND closed_at IS NULL"
)


class InvalidTransition(ApiError):
    def __init__(self, current: str, target: str) -> None:
        allowed = allowed_next(current)
        super().__init__(
            409,
            f"Cannot change status from {current} to {target}; "
            f"allowed next: {', '.join(allowed) or 'none (resolved is final)'}",
            code="invalid_transition",
            details={
                "current_status": current,
                "requested_status": target,
                "allowed_transitions": allowed,
            },
        )


@dataclass
class UpdateOutcome:
    transition: Status | None = None
    changes: list[str] = field(default_factory=list)


async def append_timeline(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    event_type: str,
    actor: str,
    now: datetime,
    message: str = "",
    data: dict[str, Any] | None = None,
    dedup_key: str | None = None,
) -> bool:
    """Append one entry; with a dedup_key a second write of the same key is a no-op (False)."""
    statement = (
        insert(TimelineEntry)
        .values(
            incident_id=incident_id,
            event_type=event_type,
            actor=actor,
            message=message,
            data=data or {},
            dedup_key=dedup_key,
            created_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["incident_id", "dedup_key"],
            index_where=TimelineEntry.dedup_key.is_not(None),
        )
        .returning(TimelineEntry.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def get_incident(
    *, session: AsyncSession, incident_id: uuid.UUID, lock: bool = False
) -> Incident:
    """Load an incident (404 if unknown); ``lock`` takes its row lock until the commit."""
    statement = select(Incident).where(Incident.id == incident_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    incident = await session.scalar(statement)
    if incident is None:
        raise NotFound("Incident", incident_id)
    return incident


async def update_incident(
    *,
    session: AsyncSession,
    incident: Incident,
    changes: IncidentUpdate,
    actor: str,
    now: datetime,
) -> UpdateOutcome:
    """Apply a PATCH to a row the caller has locked; 409 on a transition the machine forbids."""
    outcome = UpdateOutcome()
    fields = changes.model_fields_set
    if changes.status is not None:
        # Checked before anything else, so a refused transition changes nothing at all.
        # No status may follow itself: a second acknowledge is a 409 like any other.
        if not is_allowed(incident.status, changes.status):
            raise InvalidTransition(incident.status, changes.status.value)
        await _transition(
            session=session, incident=incident, target=changes.status, actor=actor, now=now
        )
        outcome.transition = changes.status
        outcome.changes.append("status")
    if "assignee" in fields and changes.assignee != incident.assignee:
        await append_timeline(
            session=session,
            incident_id=incident.id,
            event_type="assignee_changed",
            actor=actor,
            now=now,
            message=f"Assigned to {changes.assignee}" if changes.assignee else "Unassigned",
            data={"from": incident.assignee, "to": changes.assignee},
        )
        incident.assignee = changes.assignee
        outcome.changes.append("assignee")
    if changes.notes is not None:
        note = IncidentNote(
            incident_id=incident.id, author=actor, body=changes.notes, created_at=now
        )
        session.add(note)
        await session.flush()
        await append_timeline(
            session=session,
            incident_id=incident.id,
            event_type="note_added",
            actor=actor,
            now=now,
            message=changes.notes[:200],
            data={"note_id": str(note.id)},
        )
        outcome.changes.append("notes")
    if outcome.changes:
        incident.updated_at = max(now, incident.created_at)
    await session.flush()
    return outcome


async def _transition(
    *, session: AsyncSession, incident: Incident, target: Status, actor: str, now: datetime
) -> None:
    previous = incident.status
    # Never before creation, even if a replica's clock lags (the table's CHECKs say so too).
    at = max(now, incident.created_at)
    incident.status = target.value
    if target is Status.ACKNOWLEDGED:
        incident.acknowledged_at, incident.acknowledged_by = at, actor
    elif target is Status.RESOLVED:
        incident.resolved_at, incident.resolved_by = at, actor
        # In this transaction, under the incident's row lock: the next alert opens a new incident
        # (correlation takes the same lock; nightwatch_incidents.correlation.service).
        await session.execute(_CLOSE_ALERT_GROUP, {"id": incident.id, "at": at})
    data: dict[str, Any] = {"from": previous, "to": target.value}
    if target is Status.ACKNOWLEDGED:
        data["mtta_seconds"] = mtta_seconds(incident)
    if target is Status.RESOLVED:
        data["mttr_seconds"] = mttr_seconds(incident)
    written = await append_timeline(
        session=session,
        incident_id=incident.id,
        event_type="status_changed",
        actor=actor,
        now=at,
        message=f"Status {previous} → {target.value}",
        data=data,
        dedup_key=f"status:{target.value}",
    )
    if not written:  # unreachable while callers hold the row lock: the database says no twice
        raise InvalidTransition(incident.status, target.value)


def mtta_seconds(incident: Incident) -> float | None:
    if incident.acknowledged_at is None:
        return None
    return (incident.acknowledged_at - incident.created_at).total_seconds()


def mttr_seconds(incident: Incident) -> float | None:
    if incident.resolved_at is None:
        return None
    return (incident.resolved_at - incident.created_at).total_seconds()


async def list_notes(*, session: AsyncSession, incident_id: uuid.UUID) -> list[IncidentNote]:
    statement = (
        select(IncidentNote)
        .where(IncidentNote.incident_id == incident_id)
        .order_by(IncidentNote.created_at, IncidentNote.seq)
    )
    return list(await session.scalars(statement))


async def list_timeline(*, session: AsyncSession, incident_id: uuid.UUID) -> list[TimelineEntry]:
    statement = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(TimelineEntry.created_at, TimelineEntry.seq)
    )
    return list(await session.scalars(statement))


async def oldest_open_created_at(*, session: AsyncSession) -> datetime | None:
    """When the oldest incident still waiting for an acknowledgement (status open) was created."""
    return (
        await session.execute(
            select(func.min(Incident.created_at)).where(Incident.status == Status.OPEN.value)
        )
    ).scalar()


async def count_by_status(*, session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Incident.status, func.count()).group_by(Incident.status))
    counts = {status.value: 0 for status in Status}
    counts.update({status: count for status, count in rows.all()})
    return counts


async def count_nobody_paged(*, session: AsyncSession) -> int:
    """Unresolved incidents whose escalation paged nobody (a partial index: migration 0110)."""
    count = await session.scalar(
        select(func.count()).where(
            Incident.page_state == "nobody_paged", Incident.status != Status.RESOLVED.value
        )
    )
    return int(count or 0)
