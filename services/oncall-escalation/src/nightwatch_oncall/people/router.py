"""HTTP API of users and teams (thin: validation in schemas, logic in service)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from nightwatch_core.db import SessionDep
from nightwatch_core.validation import Limit, Offset, Page
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.people import service
from nightwatch_oncall.people.models import Team, User
from nightwatch_oncall.people.schemas import (
    TeamCreate,
    TeamMemberIn,
    TeamMemberRead,
    TeamRead,
    TeamUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from nightwatch_oncall.validation import TeamRef

router = APIRouter(prefix="/api/v1", tags=["people"])


async def _current_user(user_id: uuid.UUID, session: SessionDep) -> User:
    return await service.get_user(session=session, user_id=user_id)


async def _current_team(
    team: Annotated[TeamRef, Path(description="The team's id or name")], session: SessionDep
) -> Team:
    return await service.get_team(session=session, team=team)


CurrentUser = Annotated[User, Depends(_current_user)]
CurrentTeam = Annotated[Team, Depends(_current_team)]


async def _team_read(session: AsyncSession, team: Team) -> TeamRead:
    members = await service.team_memberships(session=session, team=team)
    return TeamRead(
        id=team.id,
        name=team.name,
        description=team.description,
        members=[
            TeamMemberRead(user_id=m.user_id, name=m.user.name, email=m.user.email, role=m.role)
            for m in members
        ],
        created_at=team.created_at,
        updated_at=team.updated_at,
    )


# ---------------------------------------------------------------- users


@router.post("/users", status_code=201, response_model=UserRead)
async def create_user(data: UserCreate, session: SessionDep) -> User:
    user = await service.create_user(session=session, data=data)
    await session.commit()
    return user


@router.get("/users", response_model=Page[UserRead])
async def list_users(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=200, description="Search name or email")] = None,
    console_account: Annotated[
        str | None,
        Query(max_length=100, description="Only the person linked to this console account"),
    ] = None,
) -> Page[UserRead]:
    users, total = await service.list_users(
        session=session,
        limit=limit,
        offset=offset,
        search=q.replace("\x00", "") if q else None,
        console_account=console_account.replace("\x00", "") if console_account else None,
    )
    items = [UserRead.model_validate(u) for u in users]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/users/{user_id}", response_model=UserRead)
async def read_user(user: CurrentUser) -> User:
    return user


@router.patch("/users/{user_id}", response_model=UserRead)
async def update_user(user: CurrentUser, data: UserUpdate, session: SessionDep) -> User:
    user = await service.update_user(session=session, user=user, data=data)
    await session.commit()
    return user


@router.delete("/users/{user_id}", status_code=204)
async def delete_user(user: CurrentUser, session: SessionDep) -> Response:
    await service.delete_user(session=session, user=user)
    await session.commit()
    return Response(status_code=204)


# ---------------------------------------------------------------- teams


@router.post("/teams", status_code=201)
async def create_team(data: TeamCreate, session: SessionDep) -> TeamRead:
    team = await service.create_team(session=session, data=data)
    read = await _team_read(session, team)
    await session.commit()
    return read


@router.get("/teams")
async def list_teams(session: SessionDep, limit: Limit = 50, offset: Offset = 0) -> Page[TeamRead]:
    teams, total = await service.list_teams(session=session, limit=limit, offset=offset)
    items = [await _team_read(session, team) for team in teams]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/teams/{team}")
async def read_team(team: CurrentTeam, session: SessionDep) -> TeamRead:
    return await _team_read(session, team)


@router.patch("/teams/{team}")
async def update_team(team: CurrentTeam, data: TeamUpdate, session: SessionDep) -> TeamRead:
    team = await service.update_team(session=session, team=team, data=data)
    read = await _team_read(session, team)
    await session.commit()
    return read


@router.delete("/teams/{team}", status_code=204)
async def delete_team(team: CurrentTeam, session: SessionDep) -> Response:
    await service.delete_team(session=session, team=team)
    await session.commit()
    return Response(status_code=204)


@router.get("/teams/{team}/members")
async def list_members(
    team: CurrentTeam, session: SessionDep, limit: Limit = 500, offset: Offset = 0
) -> Page[TeamMemberRead]:
    members = (await _team_read(session, team)).members
    return Page.of(members, limit=limit, offset=offset)


@router.post("/teams/{team}/members", status_code=201)
async def add_member(team: CurrentTeam, member: TeamMemberIn, session: SessionDep) -> TeamRead:
    await service.add_member(session=session, team=team, member=member)
    read = await _team_read(session, team)
    await session.commit()
    return read


@router.delete("/teams/{team}/members/{user_id}", status_code=204)
async def remove_member(team: CurrentTeam, user_id: uuid.UUID, session: SessionDep) -> Response:
    await service.remove_member(session=session, team=team, user_id=user_id)
    await session.commit()
    return Response(status_code=204)
