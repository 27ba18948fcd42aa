"""Escalation policies: keyword-only functions taking the session; they flush, never commit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from nightwatch_core.db import add_and_load, get_or_404
from nightwatch_core.errors import ApiError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.escalation import targets
from nightwatch_oncall.escalation.models import EscalationPolicy
from nightwatch_oncall.escalation.schemas import Level, PolicyCreate, PolicyUpdate

# With no policy a team still gets paged: its current on-call, once (the direct page).
IMPLICIT_DELAY_MINUTES = 15


async def _checked_levels(session: AsyncSession, levels: list[Level]) -> list[dict[str, Any]]:
    """The levels as stored: every target must exist; team targets are stored by team id."""
    stored = []
    for number, level in enumerate(levels, start=1):
        checked = []
        for target in level.targets:
            target_id = await targets.checked_target_id(
                session=session, kind=target.type, ref=target.id
            )
            if target_id is None:
                raise ApiError(
                    422,
                    f"Level {number}: unknown {target.type.replace('_oncall', '')} {target.id!r}",
                    code=f"unknown_{target.type.replace('_oncall', '')}",
                )
            checked.append({"type": target.type, "id": target_id})
        stored.append({"targets": checked, "delay_minutes": level.delay_minutes})
    return stored


async def create_policy(
    *, session: AsyncSession, data: PolicyCreate, now: datetime
) -> EscalationPolicy:
    team = await targets.find_team(session=session, ref=data.team)
    if team is None:
        raise ApiError(422, f"Unknown team {data.team!r}", code="unknown_team")
    existing = await session.scalar(
        select(EscalationPolicy).where(EscalationPolicy.team_id == team.id)
    )
    if existing is not None:
        raise ApiError(
            409,
            f"Team {team.name} already has escalation policy {existing.id}: edit it with PATCH",
            code="conflict",
        )
    policy = EscalationPolicy(
        team_id=team.id,
        name=data.name,
        description=data.description,
        repeat_count=data.repeat_count,
        levels=await _checked_levels(session, data.levels),
        version=1,
        created_at=now,
        updated_at=now,
    )
    return await add_and_load(session, policy, "team_ref")


async def get_policy(*, session: AsyncSession, policy_id: uuid.UUID) -> EscalationPolicy:
    return await get_or_404(session, EscalationPolicy, policy_id, "Escalation policy")


async def list_policies(
    *, session: AsyncSession, team: str | None, limit: int, offset: int
) -> tuple[list[EscalationPolicy], int]:
    query = select(EscalationPolicy)
    if team is not None:
        found = await targets.find_team(session=session, ref=team)
        if found is None:
            raise ApiError(422, f"Unknown team {team!r}", code="unknown_team")
        query = query.where(EscalationPolicy.team_id == found.id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(EscalationPolicy.created_at, EscalationPolicy.id).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def update_policy(
    *, session: AsyncSession, policy: EscalationPolicy, data: PolicyUpdate, now: datetime
) -> EscalationPolicy:
    changes = data.model_dump(exclude_unset=True)
    for field_name, value in changes.items():
        if value is None:
            raise ApiError(422, f"{field_name} cannot be null", code="validation_error")
    if data.name is not None:
        policy.name = data.name
    if data.description is not None:
        policy.description = data.description
    if data.repeat_count is not None:
        policy.repeat_count = data.repeat_count
    if data.levels is not None:
        policy.levels = await _checked_levels(session, data.levels)
    if changes:
        policy.version += 1
        policy.updated_at = now
    await session.flush()
    return policy


async def delete_policy(*, session: AsyncSession, policy: EscalationPolicy) -> None:
    # Escalations in flight keep their snapshot; nothing else refers to a policy.
    await session.delete(policy)
    await session.flush()


async def policy_for_team(*, session: AsyncSession, team: str) -> EscalationPolicy | None:
    """The policy of a team given by name or id; None for a team without one (or unknown)."""
    found = await targets.find_team(session=session, ref=team)
    if found is None:
        return None
    return await session.scalar(
        select(EscalationPolicy).where(EscalationPolicy.team_id == found.id)
    )


def snapshot(policy: EscalationPolicy | None, *, team: str) -> dict[str, Any]:
    """The copy an escalation runs on, so later edits of the policy cannot change it."""
    if policy is None:
        return {
            "name": f"{team} on-call (no escalation policy)",
            "version": 0,
            "implicit": True,
            "repeat_count": 0,
            "levels": [
                {
                    "targets": [{"type": "team_oncall", "id": team}],
                    "delay_minutes": IMPLICIT_DELAY_MINUTES,
                }
            ],
        }
    return {
        "name": policy.name,
        "version": policy.version,
        "implicit": False,
        "repeat_count": policy.repeat_count,
        "levels": [dict(level) for level in policy.levels],
    }
