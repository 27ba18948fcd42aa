"""Schedules, layers and overrides: keyword-only functions taking the session; they flush only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, time

from nightwatch_core.db import add_and_load, get_or_404
from nightwatch_core.errors import ApiError, NotFound
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.people.models import Team, User
from nightwatch_oncall.people.service import get_team, get_users
from nightwatch_oncall.schedules.models import (
    LayerParticipant,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
)
from nightwatch_oncall.schedules.schemas import (
    WEEKDAYS,
    LayerIn,
    LayerRead,
    OverrideCreate,
    OverrideRead,
    RestrictionRead,
    ScheduleCreate,
    ScheduleRead,
    ScheduleUpdate,
    TeamBrief,
    UserBrief,
    weekday_numbers,
)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _layers(layers: Sequence[LayerIn]) -> list[ScheduleLayer]:
    return [
        ScheduleLayer(
            level=level,
            name=layer.name or f"Layer {level}",
            rotation_type=layer.rotation_type,
            shift_length=layer.shift_length,
            start_date=layer.start_date,
            handoff_time=_clock(layer.handoff_time),
            restrictions=[
                {"days": weekday_numbers(r.days), "start": r.start, "end": r.end}
                for r in layer.restrictions
            ],
            participants=[
                LayerParticipant(position=i, user_id=user_id)
                for i, user_id in enumerate(layer.participants)
            ],
        )
        for level, layer in enumerate(layers, start=1)
    ]


async def _check_participants(session: AsyncSession, layers: Sequence[LayerIn]) -> None:
    await get_users(session=session, user_ids=[u for layer in layers for u in layer.participants])


async def _ensure_name_free(
    session: AsyncSession, team_id: uuid.UUID, name: str, except_id: uuid.UUID | None = None
) -> None:
    query = select(Schedule.id).where(Schedule.team_id == team_id, Schedule.name == name)
    if except_id is not None:
        query = query.where(Schedule.id != except_id)
    if (await session.execute(query)).first() is not None:
        raise ApiError(409, f"The team already has a schedule named {name}", code="conflict")


async def create_schedule(*, session: AsyncSession, data: ScheduleCreate) -> Schedule:
    team = await get_team(session=session, team=data.team)
    await _ensure_name_free(session, team.id, data.name)
    await _check_participants(session, data.layers)
    schedule = Schedule(
        team_id=team.id,
        name=data.name,
        description=data.description,
        timezone=data.timezone,
        layers=_layers(data.layers),
    )
    return await add_and_load(session, schedule)


async def get_schedule(*, session: AsyncSession, schedule_id: uuid.UUID) -> Schedule:
    return await get_or_404(session, Schedule, schedule_id, "Schedule")


async def list_schedules(
    *, session: AsyncSession, team: str | None, limit: int, offset: int
) -> tuple[list[Schedule], int]:
    query = select(Schedule)
    if team is not None:
        query = query.where(Schedule.team_id == (await get_team(session=session, team=team)).id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Schedule.name, Schedule.id).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def team_schedules(*, session: AsyncSession, team_id: uuid.UUID) -> list[Schedule]:
    rows = await session.scalars(
        select(Schedule).where(Schedule.team_id == team_id).order_by(Schedule.name, Schedule.id)
    )
    return list(rows.all())


async def schedules_of_user(
    *, session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> list[Schedule]:
    """Schedules that can put the user on call in [start, end): in a rotation, or an override."""
    in_rotation = (
        select(ScheduleLayer.schedule_id)
        .join(LayerParticipant, LayerParticipant.layer_id == ScheduleLayer.id)
        .where(LayerParticipant.user_id == user_id)
    )
    in_override = select(ScheduleOverride.schedule_id).where(
        ScheduleOverride.user_id == user_id,
        ScheduleOverride.starts_at < end,
        ScheduleOverride.ends_at > start,
    )
    rows = await session.scalars(
        select(Schedule)
        .where(Schedule.id.in_(in_rotation.union(in_override)))
        .order_by(Schedule.name, Schedule.id)
    )
    return list(rows.all())


async def update_schedule(
    *, session: AsyncSession, schedule: Schedule, data: ScheduleUpdate
) -> Schedule:
    changes = data.model_dump(exclude_unset=True)
    for field_name in ("name", "timezone", "layers", "description"):
        if field_name in changes and changes[field_name] is None:
            raise ApiError(422, f"{field_name} cannot be null", code="validation_error")
    if data.name is not None and data.name != schedule.name:
        await _ensure_name_free(session, schedule.team_id, data.name, except_id=schedule.id)
        schedule.name = data.name
    if data.description is not None:
        schedule.description = data.description
    if data.timezone is not None:
        schedule.timezone = data.timezone
    if data.layers is not None:
        await _check_participants(session, data.layers)
        schedule.layers.clear()
        await session.flush()  # old levels go before the new ones take their numbers
        schedule.layers.extend(_layers(data.layers))
    schedule.updated_at = func.now()
    await session.flush()
    await session.refresh(schedule)
    return schedule


# A policy level that pages this schedule's on-call (targets are stored as {"type", "id"}).
_POLICIES_PAGING_SCHEDULE = text(
    "SELECT name FROM oncall.escalation_policies "
    "WHERE levels @> jsonb_build_array(jsonb_build_object('targets', "
    "jsonb_build_array(jsonb_build_object('type', 'schedule', 'id', CAST(:id AS text))))) "
    "ORDER BY name"
)


async def delete_schedule(*, session: AsyncSession, schedule: Schedule) -> None:
    """Delete a schedule (its layers and overrides with it); 409 while a policy pages it."""
    policies = (
        (await session.execute(_POLICIES_PAGING_SCHEDULE, {"id": str(schedule.id)})).scalars().all()
    )
    if policies:
        names = ", ".join(repr(name) for name in policies)
        raise ApiError(
            409,
            f"Schedule {schedule.name!r} is paged by escalation policy {names}: remove it from "
            "the policy's levels first (or delete the policy), then delete the schedule",
            code="conflict",
            details=[{"policies": list(policies)}],
        )
    await session.delete(schedule)
    await session.flush()


# ---------------------------------------------------------------- overrides


async def add_override(
    *, session: AsyncSession, schedule: Schedule, data: OverrideCreate
) -> ScheduleOverride:
    """A person covers [start, end); overlapping another override of the schedule is a 409."""
    await get_users(session=session, user_ids=[data.user_id])
    # Serialise override changes per schedule so two concurrent requests cannot both pass the
    # overlap check (no exclusion constraint: that needs the btree_gist extension).
    await session.execute(select(Schedule.id).where(Schedule.id == schedule.id).with_for_update())
    clash = await session.scalar(
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id == schedule.id,
            ScheduleOverride.starts_at < data.end,
            ScheduleOverride.ends_at > data.start,
        )
        .limit(1)
    )
    if clash is not None:
        raise ApiError(
            409,
            f"Overlaps override {clash.id} ({clash.starts_at.isoformat()} to "
            f"{clash.ends_at.isoformat()}); remove it first or pick another range",
            code="override_overlap",
        )
    override = ScheduleOverride(
        schedule_id=schedule.id, user_id=data.user_id, starts_at=data.start, ends_at=data.end
    )
    return await add_and_load(session, override)


async def list_overrides(
    *,
    session: AsyncSession,
    schedule_id: uuid.UUID,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[ScheduleOverride]:
    query = select(ScheduleOverride).where(ScheduleOverride.schedule_id == schedule_id)
    if start is not None:
        query = query.where(ScheduleOverride.ends_at > start)
    if end is not None:
        query = query.where(ScheduleOverride.starts_at < end)
    rows = await session.scalars(query.order_by(ScheduleOverride.starts_at).limit(10_000))
    return list(rows.all())


async def delete_override(
    *, session: AsyncSession, schedule: Schedule, override_id: uuid.UUID
) -> None:
    override = await session.get(ScheduleOverride, override_id)
    if override is None or override.schedule_id != schedule.id:
        raise NotFound("Override", override_id)
    await session.delete(override)
    await session.flush()


# ---------------------------------------------------------------- read models


def user_brief(user: User) -> UserBrief:
    return UserBrief(id=user.id, name=user.name, email=user.email)


async def users_by_id(
    session: AsyncSession, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, User]:
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(wanted)))
    return {user.id: user for user in rows.all()}


async def schedule_read(*, session: AsyncSession, schedule: Schedule) -> ScheduleRead:
    team = await session.get(Team, schedule.team_id)
    assert team is not None  # a foreign key guarantees it
    users = await users_by_id(
        session, (p.user_id for layer in schedule.layers for p in layer.participants)
    )
    return ScheduleRead(
        id=schedule.id,
        name=schedule.name,
        description=schedule.description,
        team=TeamBrief(id=team.id, name=team.name),
        timezone=schedule.timezone,
        layers=[
            LayerRead(
                id=layer.id,
                level=layer.level,
                name=layer.name,
                participants=[user_brief(users[p.user_id]) for p in layer.participants],
                rotation_type=layer.rotation_type,  # type: ignore[arg-type]
                shift_length=layer.shift_length,
                start_date=layer.start_date,
                handoff_time=layer.handoff_time.strftime("%H:%M"),
                restrictions=[
                    RestrictionRead(
                        days=[WEEKDAYS[d] for d in r["days"]],  # type: ignore[misc]
                        start=r["start"],
                        end=r["end"],
                    )
                    for r in layer.restrictions
                ],
            )
            for layer in schedule.layers
        ],
        ical_url=f"/api/v1/calendars/{schedule.ical_token}.ics",
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
    )


async def rotate_ical_token(*, session: AsyncSession, schedule: Schedule) -> None:
    """A fresh feed token from the column's own default (migration 0032): one source of it."""
    await session.execute(
        text("UPDATE oncall.schedules SET ical_token = DEFAULT WHERE id = :id"), {"id": schedule.id}
    )
    await session.refresh(schedule, ["ical_token"])


async def override_read(*, session: AsyncSession, override: ScheduleOverride) -> OverrideRead:
    users = await users_by_id(session, [override.user_id])
    return OverrideRead(
        id=override.id,
        schedule_id=override.schedule_id,
        user=user_brief(users[override.user_id]),
        start=override.starts_at,
        end=override.ends_at,
        created_at=override.created_at,
    )
