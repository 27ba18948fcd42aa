"""Users and teams: keyword-only functions taking the session; they flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from nightwatch_core.db import add_and_load, get_or_404
from nightwatch_core.errors import ApiError, NotFound
from sqlalchemy import delete, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.people.models import ContactMethod, Team, TeamMember, User
from nightwatch_oncall.people.schemas import (
    ContactMethodIn,
    TeamCreate,
    TeamMemberIn,
    TeamUpdate,
    UserCreate,
    UserUpdate,
)
from nightwatch_oncall.schedules.models import (
    LayerParticipant,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
)


def as_uuid(value: str | uuid.UUID) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# ---------------------------------------------------------------- users


async def _ensure_email_free(
    session: AsyncSession, email: str, *, except_id: uuid.UUID | None = None
) -> None:
    query = select(User.id).where(func.lower(User.email) == email.lower())
    if except_id is not None:
        query = query.where(User.id != except_id)
    if (await session.execute(query)).first() is not None:
        raise ApiError(409, f"A user with email {email} already exists", code="conflict")


async def _ensure_account_free(
    session: AsyncSession, account: str | None, *, except_id: uuid.UUID | None = None
) -> None:
    if account is None:
        return
    query = select(User.name).where(func.lower(User.console_account) == account.lower())
    if except_id is not None:
        query = query.where(User.id != except_id)
    holder = (await session.execute(query)).scalar()
    if holder is not None:
        raise ApiError(
            409,
            f"The console account {account} is already linked to {holder}: unlink it there first",
            code="conflict",
        )


def _contact_methods(methods: Sequence[ContactMethodIn]) -> list[ContactMethod]:
    return [
        ContactMethod(position=i, type=m.type, address=m.address) for i, m in enumerate(methods)
    ]


async def _replace_contact_methods(
    session: AsyncSession, user: User, methods: Sequence[ContactMethodIn]
) -> None:
    """The list becomes ``methods``; a method sent again unchanged (type and address) keeps its
    id, so the notification rules that name it survive an edit of the list."""
    unused = list(user.contact_methods)
    kept: list[ContactMethod] = []
    for method in methods:
        same = next(
            (m for m in unused if (m.type, m.address) == (method.type, method.address)), None
        )
        if same is not None:
            unused.remove(same)
        kept.append(same or ContactMethod(type=method.type, address=method.address))
    for gone in unused:
        user.contact_methods.remove(gone)
    # (user_id, position) is unique and checked row by row: park the kept rows first.
    for index, row in enumerate(kept):
        row.position = -1 - index
    await session.flush()
    user.contact_methods[:] = kept
    for index, row in enumerate(kept):
        row.position = index
    await session.flush()


async def create_user(*, session: AsyncSession, data: UserCreate) -> User:
    await _ensure_email_free(session, data.email)
    await _ensure_account_free(session, data.console_account)
    user = User(
        name=data.name,
        email=data.email,
        phone=data.phone,
        timezone=data.timezone,
        console_account=data.console_account,
        contact_methods=_contact_methods(data.contact_methods),
    )
    return await add_and_load(session, user)


async def get_user(*, session: AsyncSession, user_id: uuid.UUID) -> User:
    return await get_or_404(session, User, user_id, "User")


async def get_users(
    *, session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, User]:
    """The users by id; NotFound (naming the first missing one) when any does not exist."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    found = (await session.scalars(select(User).where(User.id.in_(wanted)))).all()
    users = {user.id: user for user in found}
    missing = [user_id for user_id in user_ids if user_id not in users]
    if missing:
        raise NotFound("User", missing[0])
    return users


async def list_users(
    *,
    session: AsyncSession,
    limit: int,
    offset: int,
    search: str | None = None,
    console_account: str | None = None,
) -> tuple[list[User], int]:
    query = select(User)
    if console_account is not None:
        # Probes the unique index on lower(console_account): at most one row.
        query = query.where(func.lower(User.console_account) == console_account.lower())
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(User.name.ilike(pattern) | User.email.ilike(pattern))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(User.name, User.id).limit(limit).offset(offset))
    return list(rows.all()), int(total or 0)


async def update_user(*, session: AsyncSession, user: User, data: UserUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    for field_name in ("name", "email", "timezone"):
        if changes.get(field_name) is None and field_name in changes:
            raise ApiError(422, f"{field_name} cannot be null", code="validation_error")
    if data.email is not None and data.email.lower() != user.email.lower():
        await _ensure_email_free(session, data.email, except_id=user.id)
    if "console_account" in changes:
        await _ensure_account_free(session, data.console_account, except_id=user.id)
    for field_name in ("name", "email", "phone", "timezone", "console_account"):
        if field_name in changes:
            setattr(user, field_name, getattr(data, field_name))
    if data.contact_methods is not None:
        await _replace_contact_methods(session, user, data.contact_methods)
    user.updated_at = func.now()
    await session.flush()
    await session.refresh(user)
    return user


async def _schedules_using_user(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    in_rotation = (
        select(Schedule.name)
        .join(ScheduleLayer, ScheduleLayer.schedule_id == Schedule.id)
        .join(LayerParticipant, LayerParticipant.layer_id == ScheduleLayer.id)
        .where(LayerParticipant.user_id == user_id)
    )
    in_override = (
        select(Schedule.name)
        .join(ScheduleOverride, ScheduleOverride.schedule_id == Schedule.id)
        .where(ScheduleOverride.user_id == user_id)
    )
    return list(await session.scalars(union(in_rotation, in_override)))


async def delete_user(*, session: AsyncSession, user: User) -> None:
    names = await _schedules_using_user(session, user.id)
    if names:
        raise ApiError(
            409,
            f"User {user.id} is still in schedule(s) {', '.join(sorted(names))}: "
            "take them out of the rotations and overrides first",
            code="conflict",
        )
    await session.delete(user)
    await session.flush()


# ---------------------------------------------------------------- teams


async def find_team(*, session: AsyncSession, team: str | uuid.UUID) -> Team | None:
    team_id = as_uuid(team)
    if team_id is not None:
        found = await session.get(Team, team_id)
        if found is not None or isinstance(team, uuid.UUID):
            return found
    return await session.scalar(select(Team).where(Team.name == str(team).strip().lower()))


async def get_team(*, session: AsyncSession, team: str | uuid.UUID) -> Team:
    """A team by id or by name; NotFound for neither."""
    found = await find_team(session=session, team=team)
    if found is None:
        raise NotFound("Team", team)
    return found


async def get_team_members(*, session: AsyncSession, team: str | uuid.UUID) -> list[User]:
    """The team's members (with their contact methods), by name; NotFound for an unknown team."""
    found = await get_team(session=session, team=team)
    rows = await session.scalars(
        select(User)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == found.id)
        .order_by(User.name, User.id)
    )
    return list(rows.all())


async def team_memberships(*, session: AsyncSession, team: Team) -> list[TeamMember]:
    rows = await session.scalars(
        select(TeamMember).where(TeamMember.team_id == team.id).order_by(TeamMember.added_at)
    )
    return list(rows.all())


async def _ensure_team_name_free(session: AsyncSession, name: str) -> None:
    if await find_team_by_name(session=session, name=name) is not None:
        raise ApiError(409, f"A team named {name} already exists", code="conflict")


async def find_team_by_name(*, session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.name == name))


async def create_team(*, session: AsyncSession, data: TeamCreate) -> Team:
    await _ensure_team_name_free(session, data.name)
    await get_users(session=session, user_ids=[m.user_id for m in data.members])
    team = Team(name=data.name, description=data.description)
    session.add(team)
    await session.flush()
    roles = {m.user_id: m.role for m in data.members}
    session.add_all(TeamMember(team_id=team.id, user_id=u, role=r) for u, r in roles.items())
    await session.flush()
    await session.refresh(team)
    return team


async def list_teams(*, session: AsyncSession, limit: int, offset: int) -> tuple[list[Team], int]:
    total = await session.scalar(select(func.count()).select_from(Team))
    rows = await session.scalars(select(Team).order_by(Team.name).limit(limit).offset(offset))
    return list(rows.all()), int(total or 0)


async def update_team(*, session: AsyncSession, team: Team, data: TeamUpdate) -> Team:
    if data.name is not None and data.name != team.name:
        await _ensure_team_name_free(session, data.name)
        team.name = data.name
    if data.description is not None:
        team.description = data.description
    team.updated_at = func.now()
    await session.flush()
    await session.refresh(team)
    return team


async def delete_team(*, session: AsyncSession, team: Team) -> None:
    names = list(await session.scalars(select(Schedule.name).where(Schedule.team_id == team.id)))
    if names:
        raise ApiError(
            409,
            f"Team {team.name} still has schedule(s) {', '.join(sorted(names))}: delete them first",
            code="conflict",
        )
    await session.delete(team)
    await session.flush()


async def add_member(*, session: AsyncSession, team: Team, member: TeamMemberIn) -> TeamMember:
    await get_user(session=session, user_id=member.user_id)
    existing = await session.get(TeamMember, (team.id, member.user_id))
    if existing is not None:
        existing.role = member.role
        await session.flush()
        return existing
    membership = TeamMember(team_id=team.id, user_id=member.user_id, role=member.role)
    return await add_and_load(session, membership)


async def remove_member(*, session: AsyncSession, team: Team, user_id: uuid.UUID) -> None:
    result = await session.execute(
        delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound("Member", f"{user_id} of team {team.name}")
    await session.flush()
