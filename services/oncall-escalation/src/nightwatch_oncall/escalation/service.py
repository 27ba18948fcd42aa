"""Escalations: the durable state machine. Keyword-only functions taking the session; they flush,
never commit, and never call other services: pages and timeline entries are queued as durable jobs
(``nightwatch_core.jobs``) in the same transaction, and sent by the workers in ``workers.py``.

State per incident (``oncall.escalations``): ``next_level``/``next_round`` are paged when
``next_step_at`` is due. A step pages one level and moves the timer on; after the last level of the
last round the escalation is ``exhausted`` (no timer). ``stopped`` (ack/resolve) is final.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from nightwatch_contracts.escalations import EscalationStart
from nightwatch_core.errors import ApiError, NotFound
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.escalation import policies, targets
from nightwatch_oncall.escalation.models import (
    Escalation,
    EscalationEvent,
    EscalationPage,
    EscalationPolicy,
)
from nightwatch_oncall.escalation.steps import new_event, run_step, run_steps


async def get_escalation(
    *, session: AsyncSession, incident_id: uuid.UUID, lock: bool = False
) -> Escalation | None:
    query = select(Escalation).where(Escalation.incident_id == incident_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


def _new_row(data: EscalationStart, policy: EscalationPolicy | None, now: datetime) -> dict:
    return {
        "incident_id": data.incident_id,
        "team": data.team,
        "title": data.title,
        "service": data.service,
        "severity": data.severity,
        "policy_id": policy.id if policy else None,
        "policy_snapshot": policies.snapshot(policy, team=data.team),
        "status": "active",
        "next_level": 0,
        "next_round": 0,
        "next_step_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _fill_in_stopped(escalation: Escalation, data: EscalationStart, now: datetime) -> None:
    """A stop came before the start: keep it stopped (nobody is paged), just fill in the facts."""
    if escalation.team is None:
        escalation.team, escalation.title = data.team, data.title
        escalation.service, escalation.severity = data.service, data.severity
        escalation.updated_at = now


def _started_event(
    escalation: Escalation, policy: EscalationPolicy | None, now: datetime
) -> EscalationEvent:
    snapshot = escalation.policy_snapshot or {}
    return new_event(
        escalation,
        now,
        "started",
        f"Escalation started with policy {snapshot.get('name')!r} for team {escalation.team}",
        data={"policy_id": str(policy.id) if policy else None},
    )


async def start(
    *, session: AsyncSession, data: EscalationStart, now: datetime
) -> tuple[Escalation, bool]:
    """Start escalating an incident and page level 1 now; (escalation, created). Idempotent."""
    policy = await policies.policy_for_team(session=session, team=data.team)
    inserted = await session.execute(
        insert(Escalation)
        .values(**_new_row(data, policy, now))
        .on_conflict_do_nothing(index_elements=[Escalation.incident_id])
        .returning(Escalation.incident_id)
    )
    created = inserted.first() is not None
    escalation = await get_escalation(session=session, incident_id=data.incident_id, lock=True)
    assert escalation is not None
    if not created:
        _fill_in_stopped(escalation, data, now)
        await session.flush()
        return escalation, False
    session.add(_started_event(escalation, policy, now))
    await run_step(session=session, escalation=escalation, now=now)
    return escalation, True


async def start_many(
    *, session: AsyncSession, items: list[EscalationStart], now: datetime
) -> list[tuple[Escalation, bool]]:
    """``start`` for a batch, set-based: each team's policy and each target's on-call are looked
    up once, the escalations are inserted with one statement, and every page, event and job of
    the batch is written with one flush and one ``enqueue_many``. One (escalation, created) per
    distinct incident, in incident-id order. Idempotent per incident, like ``start``."""
    unique = {item.incident_id: item for item in reversed(items)}  # the first of a repeat wins
    # Sorted: two batches that share incidents take their row locks in the same order.
    ordered = [unique[incident_id] for incident_id in sorted(unique)]
    team_policies = {
        team: await policies.policy_for_team(session=session, team=team)
        for team in dict.fromkeys(item.team for item in ordered)
    }
    # A parameter list, not .values([...]): one statement (insertmanyvalues) whose compiled form
    # is cached, where a multi-row VALUES would be compiled again for every batch size.
    inserted = await session.execute(
        insert(Escalation)
        .on_conflict_do_nothing(index_elements=[Escalation.incident_id])
        .returning(Escalation.incident_id),
        [_new_row(item, team_policies[item.team], now) for item in ordered],
    )
    created = set(inserted.scalars().all())
    locked = await session.scalars(
        select(Escalation)
        .where(Escalation.incident_id.in_(list(unique)))
        .order_by(Escalation.incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    escalations = {escalation.incident_id: escalation for escalation in locked.all()}
    to_page = []
    for item in ordered:
        escalation = escalations[item.incident_id]
        if item.incident_id in created:
            session.add(_started_event(escalation, team_policies[item.team], now))
            to_page.append(escalation)
        else:
            _fill_in_stopped(escalation, item, now)
    await run_steps(session=session, escalations=to_page, now=now)
    return [(escalations[item.incident_id], item.incident_id in created) for item in ordered]


async def escalate_now(
    *, session: AsyncSession, incident_id: uuid.UUID, team: str | None, actor: str, now: datetime
) -> Escalation:
    """Page the next level now (POST /api/v1/escalate), or hand the incident to another team's
    policy from its level 1. The timer then continues from the paged level."""
    escalation = await get_escalation(session=session, incident_id=incident_id, lock=True)
    if escalation is None or escalation.policy_snapshot is None:
        raise NotFound("Escalation for incident", incident_id)
    if escalation.status == "stopped":
        raise ApiError(
            409,
            f"Escalation of incident {incident_id} is stopped ({escalation.stop_reason} by "
            f"{escalation.stopped_by}); nothing to escalate",
            code="conflict",
        )
    if team is not None:
        found = await targets.find_team(session=session, ref=team)
        if found is None:
            raise ApiError(422, f"Unknown team {team!r}", code="unknown_team")
        policy = await policies.policy_for_team(session=session, team=found.name)
        escalation.team = found.name
        escalation.policy_id = policy.id if policy else None
        escalation.policy_snapshot = policies.snapshot(policy, team=found.name)
        escalation.next_level, escalation.next_round = 0, 0
        session.add(
            new_event(
                escalation,
                now,
                "reassigned",
                f"Escalated to team {found.name} by {actor}",
                actor=actor,
                data={"team": found.name},
            )
        )
    elif escalation.status == "exhausted":
        levels = len(escalation.policy_snapshot["levels"])
        last = escalation.last_level if escalation.last_level is not None else -1
        escalation.next_level = (last + 1) % levels
        escalation.next_round = (escalation.last_round or 0) + (1 if last + 1 >= levels else 0)
    escalation.manual_by = actor
    escalation.status = "active"
    escalation.next_step_at = now
    await run_step(session=session, escalation=escalation, now=now)
    return escalation


async def claim_due(*, session: AsyncSession, now: datetime, limit: int) -> list[Escalation]:
    """Due escalations, row-locked until the caller's transaction ends. Rows another worker holds
    are skipped (SKIP LOCKED), so each step runs on exactly one replica."""
    rows = await session.scalars(
        select(Escalation)
        .where(Escalation.status == "active", Escalation.next_step_at <= now)
        .order_by(Escalation.next_step_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def postpone(*, session: AsyncSession, incident_id: uuid.UUID, until: datetime) -> None:
    """Move a step that failed (a bug or bad data) later, so it cannot block the others."""
    await session.execute(
        update(Escalation)
        .where(Escalation.incident_id == incident_id, Escalation.status == "active")
        .values(next_step_at=until)
    )


async def list_escalations(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID | None,
    team: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Escalation], int]:
    query = select(Escalation).where(Escalation.policy_snapshot.is_not(None))
    if incident_id is not None:
        query = select(Escalation).where(Escalation.incident_id == incident_id)
    if team is not None:
        query = query.where(Escalation.team == team)
    if status is not None:
        query = query.where(Escalation.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Escalation.created_at.desc(), Escalation.incident_id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def history(
    *, session: AsyncSession, incident_ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[EscalationEvent]], dict[uuid.UUID, list[EscalationPage]]]:
    events: dict[uuid.UUID, list[EscalationEvent]] = {i: [] for i in incident_ids}
    pages: dict[uuid.UUID, list[EscalationPage]] = {i: [] for i in incident_ids}
    if not incident_ids:
        return events, pages
    for event in await session.scalars(
        select(EscalationEvent)
        .where(EscalationEvent.incident_id.in_(incident_ids))
        .order_by(EscalationEvent.id)
    ):
        events[event.incident_id].append(event)
    for page in await session.scalars(
        select(EscalationPage)
        .where(EscalationPage.incident_id.in_(incident_ids))
        .order_by(EscalationPage.id)
    ):
        pages[page.incident_id].append(page)
    return events, pages
