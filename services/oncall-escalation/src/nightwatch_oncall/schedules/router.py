"""HTTP API of schedules, overrides, shifts, iCal and who is on call (thin)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import ApiError
from nightwatch_core.validation import Limit, Offset, Page
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.people.service import get_users
from nightwatch_oncall.schedules import oncall, service
from nightwatch_oncall.schedules.feed import load_feed_source, render_feed
from nightwatch_oncall.schedules.models import Schedule
from nightwatch_oncall.schedules.preview import preview_shifts
from nightwatch_oncall.schedules.schemas import (
    Instant,
    OnCallAnswer,
    OverrideCreate,
    OverrideRead,
    ScheduleCreate,
    SchedulePreviewIn,
    ScheduleRead,
    ScheduleUpdate,
    ShiftList,
    ShiftPreview,
    UserShiftRead,
)
from nightwatch_oncall.settings import OncallSettings
from nightwatch_oncall.validation import TeamRef

# 92 days of hourly shifts fit one page: the default is the whole range.
MAX_SHIFTS = 92 * 24
ShiftLimit = Annotated[int, Field(ge=1, le=MAX_SHIFTS)]

router = APIRouter(prefix="/api/v1", tags=["schedules"])


async def _current_schedule(schedule_id: uuid.UUID, session: SessionDep) -> Schedule:
    return await service.get_schedule(session=session, schedule_id=schedule_id)


CurrentSchedule = Annotated[Schedule, Depends(_current_schedule)]
At = Annotated[Instant | None, Query(description="Any instant (ISO 8601); default now")]


def _range(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    start = start or now
    end = end or start + timedelta(days=14)
    if end <= start:
        raise ApiError(422, "`to` must be after `from`", code="invalid_range")
    if end - start > oncall.MAX_RANGE:
        raise ApiError(422, "The range may span at most 92 days", code="range_too_long")
    return start, end


@router.post("/schedules", status_code=201)
async def create_schedule(data: ScheduleCreate, session: SessionDep) -> ScheduleRead:
    schedule = await service.create_schedule(session=session, data=data)
    read = await service.schedule_read(session=session, schedule=schedule)
    await session.commit()
    return read


@router.post("/schedules/preview", response_model_by_alias=True)
async def preview_schedule(
    data: SchedulePreviewIn, session: SessionDep, clock: ClockDep
) -> ShiftPreview:
    """The shifts an unsaved schedule's layers would produce in [from, to) (at most 92 days):
    the console's schedule form shows them before saving. Stores nothing; no overrides."""
    start, end = _range(data.start, data.end, clock.now())
    return await preview_shifts(session=session, data=data, start=start, end=end)


@router.get("/schedules")
async def list_schedules(
    session: SessionDep,
    team: Annotated[TeamRef | None, Query(description="Only this team's (name or id)")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ScheduleRead]:
    schedules, total = await service.list_schedules(
        session=session, team=team, limit=limit, offset=offset
    )
    items = [await service.schedule_read(session=session, schedule=s) for s in schedules]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/schedules/{schedule_id}")
async def read_schedule(schedule: CurrentSchedule, session: SessionDep) -> ScheduleRead:
    return await service.schedule_read(session=session, schedule=schedule)


@router.patch("/schedules/{schedule_id}")
async def update_schedule(
    schedule: CurrentSchedule, data: ScheduleUpdate, session: SessionDep
) -> ScheduleRead:
    schedule = await service.update_schedule(session=session, schedule=schedule, data=data)
    read = await service.schedule_read(session=session, schedule=schedule)
    await session.commit()
    return read


@router.delete("/schedules/{schedule_id}", status_code=204)
async def delete_schedule(schedule: CurrentSchedule, session: SessionDep) -> Response:
    await service.delete_schedule(session=session, schedule=schedule)
    await session.commit()
    return Response(status_code=204)


@router.post("/schedules/{schedule_id}/overrides", status_code=201)
async def add_override(
    schedule: CurrentSchedule, data: OverrideCreate, session: SessionDep
) -> OverrideRead:
    override = await service.add_override(session=session, schedule=schedule, data=data)
    read = await service.override_read(session=session, override=override)
    await session.commit()
    return read


@router.get("/schedules/{schedule_id}/overrides")
async def list_overrides(
    schedule: CurrentSchedule,
    session: SessionDep,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> Page[OverrideRead]:
    overrides = await service.list_overrides(
        session=session, schedule_id=schedule.id, start=start, end=end
    )
    page = overrides[offset : offset + limit]
    items = [await service.override_read(session=session, override=o) for o in page]
    return Page(items=items, total=len(overrides), limit=limit, offset=offset)


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", status_code=204)
async def delete_override(
    schedule: CurrentSchedule, override_id: uuid.UUID, session: SessionDep
) -> Response:
    await service.delete_override(session=session, schedule=schedule, override_id=override_id)
    await session.commit()
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/shifts", response_model_by_alias=True)
async def list_shifts(
    schedule: CurrentSchedule,
    session: SessionDep,
    clock: ClockDep,
    start: Annotated[Instant | None, Query(alias="from", description="Default now")] = None,
    end: Annotated[Instant | None, Query(alias="to", description="Default from + 14 days")] = None,
) -> ShiftList:
    """The final shifts (layers and overrides merged) in [from, to), at most 92 days."""
    start, end = _range(start, end, clock.now())
    return await oncall.schedule_shifts(session=session, schedule=schedule, start=start, end=end)


@router.get("/oncall/shifts")
async def list_user_shifts(
    user_id: uuid.UUID,
    session: SessionDep,
    clock: ClockDep,
    start: Annotated[Instant | None, Query(alias="from", description="Default now")] = None,
    end: Annotated[Instant | None, Query(alias="to", description="Default from + 14 days")] = None,
    limit: ShiftLimit = MAX_SHIFTS,
    offset: Offset = 0,
) -> Page[UserShiftRead]:
    """One person's final shifts across every schedule in [from, to) ("my on-call shifts")."""
    start, end = _range(start, end, clock.now())
    shifts = await oncall.user_shifts(session=session, user_id=user_id, start=start, end=end)
    return Page.of(shifts, limit=limit, offset=offset)


@router.get("/schedules/{schedule_id}/oncall")
async def schedule_oncall(
    schedule: CurrentSchedule, session: SessionDep, clock: ClockDep, at: At = None
) -> OnCallAnswer:
    return await oncall.schedule_oncall(
        session=session, schedule_id=schedule.id, at=at or clock.now()
    )


async def _ical_response(
    request: Request,
    session: AsyncSession,
    user_id: uuid.UUID | None,
    *,
    schedule_id: uuid.UUID | None = None,
    token: str | None = None,
) -> Response:
    now = request.app.state.clock.now()
    source = await load_feed_source(session=session, now=now, schedule_id=schedule_id, token=token)
    if user_id is not None:
        await get_users(session=session, user_ids=[user_id])
    settings: OncallSettings = request.app.state.settings
    body, days = await render_feed(
        source=source,
        now=now,
        user_id=user_id,
        max_layer_shifts=settings.ical_max_layer_shifts,
        limiter=request.app.state.feed_limiter,
    )
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'inline; filename="schedule-{source.schedule.id}.ics"',
            "Cache-Control": "private, max-age=300",
            "X-Feed-Days": str(days),
        },
    )


_ICAL_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}, "description": "iCalendar feed"}
}
UserFilter = Annotated[uuid.UUID | None, Query(description="Only this person's shifts")]


@router.get("/schedules/{schedule_id}/ical", response_class=Response, responses=_ICAL_RESPONSE)
async def schedule_ical(
    request: Request, schedule_id: uuid.UUID, session: SessionDep, user_id: UserFilter = None
) -> Response:
    """The schedule's final shifts from 7 days ago to 84 days ahead, as iCalendar (fewer days,
    from today, when the schedule is too busy for that: `X-Feed-Days` says how many)."""
    return await _ical_response(request, session, user_id, schedule_id=schedule_id)


@router.post("/schedules/{schedule_id}/ical-token")
async def rotate_ical_token(schedule: CurrentSchedule, session: SessionDep) -> ScheduleRead:
    """A new secret feed URL (`ical_url`); the old one stops working at once (404)."""
    await service.rotate_ical_token(session=session, schedule=schedule)
    read = await service.schedule_read(session=session, schedule=schedule)
    await session.commit()
    return read


@router.get("/calendars/{feed}", response_class=Response, responses=_ICAL_RESPONSE)
async def calendar_feed(
    request: Request,
    feed: Annotated[str, Path(pattern=r"^[0-9a-f]{64}(\.ics)?$", description="From `ical_url`")],
    session: SessionDep,
    user_id: UserFilter = None,
) -> Response:
    """The same feed at the schedule's secret URL, for calendar apps that cannot log in."""
    return await _ical_response(request, session, user_id, token=feed.removesuffix(".ics"))


@router.get("/oncall/current")
async def current_oncall(
    team: Annotated[TeamRef, Query(description="The team's name or id")],
    session: SessionDep,
    clock: ClockDep,
    at: At = None,
) -> OnCallAnswer:
    """Who is on call for the team now (or at `at`), and which schedule/layer/override put them
    there; 404 for an unknown team; `nobody_on_call: true` when every schedule has a gap."""
    return await oncall.resolve_oncall(session=session, team=team, at=at or clock.now())
