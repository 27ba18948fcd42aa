"""Who is on call: the database side of the pure rotation math in ``rotation``.

The escalation engine builds on ``resolve_oncall`` / ``schedule_oncall`` / ``get_team_members``
(keyword-only, take the session, read only).
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Mapping
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from nightwatch_core.validation import as_utc
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.people import service as people
from nightwatch_oncall.people.models import Team
from nightwatch_oncall.people.schemas import ContactableUser
from nightwatch_oncall.people.service import get_team
from nightwatch_oncall.schedules import rotation
from nightwatch_oncall.schedules.models import Schedule, ScheduleLayer
from nightwatch_oncall.schedules.schemas import (
    Gap,
    OnCallAnswer,
    OnCallEntry,
    ScheduleBrief,
    ShiftList,
    ShiftRead,
    TeamBrief,
    UserBrief,
    UserShiftRead,
)
from nightwatch_oncall.schedules.service import (
    get_schedule,
    list_overrides,
    schedules_of_user,
    team_schedules,
    user_brief,
    users_by_id,
)

# How far either side of an instant a current shift's start and end are looked for.
SHIFT_HORIZON = timedelta(days=35)
# The longest range one shifts request may cover (PagerDuty caps its on-call queries at 90 days).
MAX_RANGE = timedelta(days=92)

__all__ = [
    "get_team_members",
    "resolve_oncall",
    "schedule_oncall",
    "schedule_shifts",
    "user_shifts",
]


def restriction_of(raw: dict[str, object]) -> rotation.Restriction:
    def minutes(value: object) -> int:
        hours, mins = str(value).split(":")
        return int(hours) * 60 + int(mins)

    return rotation.Restriction(
        days=frozenset(int(d) for d in raw["days"]),  # type: ignore[attr-defined]
        start_minute=minutes(raw["start"]),
        end_minute=minutes(raw["end"]),
    )


def _layer(layer: ScheduleLayer) -> rotation.Layer:
    return rotation.Layer(
        key=layer.id,
        level=layer.level,
        participants=tuple(p.user_id for p in layer.participants),
        rotation_type=layer.rotation_type,  # type: ignore[arg-type]
        shift_length=layer.shift_length,
        start_date=layer.start_date,
        handoff_time=layer.handoff_time,
        restrictions=tuple(restriction_of(r) for r in layer.restrictions),
    )


async def rotation_of(
    *, session: AsyncSession, schedule: Schedule, start: datetime, end: datetime
) -> rotation.Schedule:
    """The schedule as pure data, with the overrides that touch [start, end)."""
    overrides = await list_overrides(session=session, schedule_id=schedule.id, start=start, end=end)
    return rotation.Schedule(
        timezone=ZoneInfo(schedule.timezone),
        layers=tuple(_layer(layer) for layer in schedule.layers if layer.participants),
        overrides=tuple(
            rotation.Override(key=o.id, user=o.user_id, start=o.starts_at, end=o.ends_at)
            for o in overrides
        ),
    )


def _id(key: Hashable) -> uuid.UUID:
    """Keys of the pure model are the rows' UUIDs."""
    assert isinstance(key, uuid.UUID)
    return key


async def _schedule_entry(
    session: AsyncSession, schedule: Schedule, at: datetime
) -> OnCallEntry | None:
    model = await rotation_of(
        session=session, schedule=schedule, start=at - SHIFT_HORIZON, end=at + SHIFT_HORIZON
    )
    segment = rotation.oncall_at(model, at, horizon=SHIFT_HORIZON)
    if segment is None:
        return None
    user = (await users_by_id(session, [_id(segment.user)]))[_id(segment.user)]
    layer = next((la for la in schedule.layers if la.id == segment.layer), None)
    return OnCallEntry(
        user=ContactableUser.model_validate(user),
        schedule_id=schedule.id,
        schedule_name=schedule.name,
        source="override" if segment.override is not None else "layer",
        layer_id=layer.id if layer else None,
        layer_name=layer.name if layer else None,
        layer_level=layer.level if layer else None,
        override_id=None if segment.override is None else _id(segment.override),
        shift_start=None if segment.start <= at - SHIFT_HORIZON else segment.start,
        shift_end=None if segment.end >= at + SHIFT_HORIZON else segment.end,
    )


def _answer(
    team: Team, at: datetime, entries: list[OnCallEntry], gaps: list[Schedule], schedules: int
) -> OnCallAnswer:
    when = at.isoformat()
    if entries:
        names = ", ".join(f"{e.user.name} ({e.schedule_name})" for e in entries)
        message = f"On call for team {team.name} at {when}: {names}"
    elif schedules == 0:
        message = f"Nobody on call: team {team.name} has no schedule"
    else:
        message = f"Nobody on call for team {team.name} at {when}: every schedule has a gap"
    return OnCallAnswer(
        team=TeamBrief(id=team.id, name=team.name),
        at=at,
        oncall=entries,
        nobody_on_call=not entries,
        schedules_without_oncall=[ScheduleBrief(id=s.id, name=s.name) for s in gaps],
        message=message,
    )


async def get_team_members(
    *, session: AsyncSession, team: str | uuid.UUID
) -> list[ContactableUser]:
    """The team's members (name or id) with their contact methods; NotFound for an unknown team."""
    members = await people.get_team_members(session=session, team=team)
    return [ContactableUser.model_validate(user) for user in members]


async def resolve_oncall(
    *, session: AsyncSession, team: str | uuid.UUID, at: datetime
) -> OnCallAnswer:
    """Who is on call for a team (by name or id) at ``at``: one entry per schedule with someone.

    Raises the core's NotFound for an unknown team; a gap is an answer with ``nobody_on_call``.
    """
    at = as_utc(at)
    found = await get_team(session=session, team=team)
    schedules = await team_schedules(session=session, team_id=found.id)
    entries: list[OnCallEntry] = []
    gaps: list[Schedule] = []
    for schedule in schedules:
        entry = await _schedule_entry(session, schedule, at)
        if entry is None:
            gaps.append(schedule)
        else:
            entries.append(entry)
    return _answer(found, at, entries, gaps, len(schedules))


async def schedule_oncall(
    *, session: AsyncSession, schedule_id: uuid.UUID, at: datetime
) -> OnCallAnswer:
    """Who one schedule puts on call at ``at`` (0 or 1 entry); NotFound for an unknown schedule."""
    at = as_utc(at)
    schedule = await get_schedule(session=session, schedule_id=schedule_id)
    team = await get_team(session=session, team=schedule.team_id)
    entry = await _schedule_entry(session, schedule, at)
    return _answer(team, at, [entry] if entry else [], [] if entry else [schedule], 1)


async def schedule_shifts(
    *, session: AsyncSession, schedule: Schedule, start: datetime, end: datetime
) -> ShiftList:
    """The final, merged shifts of [start, end) and the gaps between them."""
    model = await rotation_of(session=session, schedule=schedule, start=start, end=end)
    segments = rotation.final_segments(model, start, end)
    return await shift_list(
        session=session, schedule=schedule, segments=segments, start=start, end=end
    )


async def shift_list(
    *,
    session: AsyncSession,
    schedule: Schedule,
    segments: list[rotation.Segment],
    start: datetime,
    end: datetime,
) -> ShiftList:
    """Final segments as the API shows them: with their people, layers and the gaps between."""
    users = await users_by_id(session, (_id(s.user) for s in segments))
    return build_shift_list(
        schedule_id=schedule.id,
        timezone=schedule.timezone,
        layers={layer.id: layer for layer in schedule.layers},
        users={user_id: user_brief(user) for user_id, user in users.items()},
        segments=segments,
        start=start,
        end=end,
    )


class LayerLabel(Protocol):
    """What a shift shows of its layer: an ORM layer or a plain row both have these."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> int: ...


def build_shift_list(
    *,
    schedule_id: uuid.UUID,
    timezone: str,
    layers: Mapping[uuid.UUID, LayerLabel],
    users: Mapping[uuid.UUID, UserBrief],
    segments: list[rotation.Segment],
    start: datetime,
    end: datetime,
) -> ShiftList:
    """Pure (no database): the shift list of ``segments``, so a feed can build it in a thread."""
    shifts = []
    for segment in segments:
        layer = None if segment.layer is None else layers[_id(segment.layer)]
        shifts.append(
            ShiftRead(
                start=segment.start,
                end=segment.end,
                user=users[_id(segment.user)],
                source="override" if segment.override is not None else "layer",
                layer_id=layer.id if layer else None,
                layer_name=layer.name if layer else None,
                layer_level=layer.level if layer else None,
                override_id=None if segment.override is None else _id(segment.override),
            )
        )
    gaps = []
    cursor = start
    for segment in segments:
        if segment.start > cursor:
            gaps.append(Gap(start=cursor, end=segment.start))
        cursor = segment.end
    if cursor < end:
        gaps.append(Gap(start=cursor, end=end))
    return ShiftList(
        schedule_id=schedule_id, timezone=timezone, start=start, end=end, shifts=shifts, gaps=gaps
    )


async def user_shifts(
    *, session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> list[UserShiftRead]:
    """Every final shift of one person in [start, end), across all schedules, by start time."""
    await people.get_user(session=session, user_id=user_id)
    shifts: list[UserShiftRead] = []
    for schedule in await schedules_of_user(session=session, user_id=user_id, start=start, end=end):
        team = await get_team(session=session, team=schedule.team_id)
        listing = await schedule_shifts(session=session, schedule=schedule, start=start, end=end)
        shifts.extend(
            UserShiftRead(
                **shift.model_dump(),
                schedule_id=schedule.id,
                schedule_name=schedule.name,
                team=TeamBrief(id=team.id, name=team.name),
            )
            for shift in listing.shifts
            if shift.user.id == user_id
        )
    return sorted(shifts, key=lambda shift: (shift.start, shift.schedule_name))
