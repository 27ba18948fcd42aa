"""The in-process interface the escalation engine builds on (service functions, real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from nightwatch_core.errors import NotFound
from nightwatch_oncall.people import service as people
from nightwatch_oncall.people.schemas import ContactMethodIn, TeamCreate, TeamMemberIn, UserCreate
from nightwatch_oncall.schedules import service as schedules
from nightwatch_oncall.schedules.oncall import get_team_members, resolve_oncall, schedule_oncall
from nightwatch_oncall.schedules.schemas import LayerIn, OverrideCreate, ScheduleCreate
from sqlalchemy.ext.asyncio import AsyncSession


async def test_resolve_oncall_by_name_and_id_with_contacts(db_session: AsyncSession) -> None:
    alice = await people.create_user(
        session=db_session,
        data=UserCreate(
            name="Alice",
            email="alice@example.com",
            contact_methods=[ContactMethodIn(type="slack", address="@alice")],
        ),
    )
    bob = await people.create_user(
        session=db_session, data=UserCreate(name="Bob", email="bob@example.com")
    )
    team = await people.create_team(
        session=db_session,
        data=TeamCreate(name="core", members=[TeamMemberIn(user_id=alice.id)]),
    )
    schedule = await schedules.create_schedule(
        session=db_session,
        data=ScheduleCreate(
            name="Primary",
            team="core",
            layers=[
                LayerIn(
                    participants=[alice.id, bob.id],
                    rotation_type="daily",
                    start_date=date(2026, 1, 5),
                )
            ],
        ),
    )
    answer = await resolve_oncall(
        session=db_session, team="core", at=datetime(2026, 1, 5, 10, tzinfo=UTC)
    )
    assert not answer.nobody_on_call
    [entry] = answer.oncall
    assert (entry.user.id, entry.schedule_id, entry.source) == (alice.id, schedule.id, "layer")
    assert [(m.type, m.address) for m in entry.user.contact_methods] == [("slack", "@alice")]

    await schedules.add_override(
        session=db_session,
        schedule=schedule,
        data=OverrideCreate(
            user_id=bob.id,
            start=datetime(2026, 1, 5, 9, tzinfo=UTC),
            end=datetime(2026, 1, 5, 11, tzinfo=UTC),
        ),
    )
    by_id = await resolve_oncall(
        session=db_session, team=team.id, at=datetime(2026, 1, 5, 10, tzinfo=UTC)
    )
    assert (by_id.oncall[0].user.name, by_id.oncall[0].source) == ("Bob", "override")
    single = await schedule_oncall(
        session=db_session, schedule_id=schedule.id, at=datetime(2026, 1, 5, 12, tzinfo=UTC)
    )
    assert single.oncall[0].user.name == "Alice"
    before = await schedule_oncall(
        session=db_session, schedule_id=schedule.id, at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert before.nobody_on_call and before.oncall == []

    members = await get_team_members(session=db_session, team="core")
    assert [m.name for m in members] == ["Alice"]
    with pytest.raises(NotFound):
        await resolve_oncall(session=db_session, team="nobody-here", at=datetime.now(UTC))
    with pytest.raises(NotFound):
        await get_team_members(session=db_session, team="nobody-here")
