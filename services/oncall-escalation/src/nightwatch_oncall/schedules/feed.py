"""The iCalendar feed, bounded and off the event loop (issue #12, finding 10).

The feed URL needs no login, so anyone holding it decides how often it is computed. A schedule of
20 layers x 200 participants on hourly shifts made one fetch cost 1.5-1.8 s of the event loop:
every other request of the service waited that long. Now:

- the work is bounded: the window (7 days back, 85 ahead) shrinks until the layers' shifts in it
  stay under ``ICAL_MAX_LAYER_SHIFTS``; the answer says how many days it covers (``X-Feed-Days``);
- the event loop only runs four small queries of plain rows (no ORM entities: loading the 4,000
  participants of that schedule as objects was itself most of a second of the loop): the
  schedule, its layers with their participants aggregated into one array per layer, the
  overrides of the window, and the people who appear in them;
- everything that grows with the schedule — the rotation model, the merge of the layers, the
  shift list and the rendering — runs in one worker thread, at most ``ICAL_CONCURRENCY`` feeds
  at once per process, so the loop keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nightwatch_core.errors import ApiError, NotFound
from sqlalchemy import ColumnElement, func, select, union
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.people.models import Team, User
from nightwatch_oncall.schedules import oncall, rotation
from nightwatch_oncall.schedules.ical import render_ical
from nightwatch_oncall.schedules.models import (
    LayerParticipant,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
)
from nightwatch_oncall.schedules.schemas import UserBrief

DAYS_BACK = 7
DAYS_AHEAD = 85
_SHIFTS_PER_DAY = {"hourly": 24.0, "daily": 1.0, "weekly": 1 / 7}
# Core tables, not the mapped classes: rows come back as tuples, never as ORM objects.
_SCHEDULES = Schedule.__table__
_LAYERS = ScheduleLayer.__table__
_PARTICIPANTS = LayerParticipant.__table__
_OVERRIDES = ScheduleOverride.__table__
_USERS = User.__table__
_TEAMS = Team.__table__


def layer_shifts_per_day(layer: rotation.Layer) -> float:
    """About how many segments a layer yields per day (each restriction window can cut one)."""
    return _SHIFTS_PER_DAY[layer.rotation_type] / layer.shift_length * (1 + len(layer.restrictions))


def feed_window(
    model: rotation.Schedule, today: datetime, max_layer_shifts: int
) -> tuple[datetime, datetime]:
    """The full window if its work fits the bound; else from today, as many days as fit (>= 1)."""
    per_day = sum(layer_shifts_per_day(layer) for layer in model.layers) or 1.0
    if per_day * (DAYS_BACK + DAYS_AHEAD) <= max_layer_shifts:
        return today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    days = max(1, min(DAYS_AHEAD, int(max_layer_shifts // per_day)))
    return today, today + timedelta(days=days)


@dataclass(frozen=True)
class FeedSource:
    """What a feed is computed from, as plain rows read on the loop."""

    schedule: Any  # a Row: id, name, timezone, team_name
    layers: Sequence[Any]  # one Row per layer with participants, ``participants``: user ids
    overrides: Sequence[Any]
    people: Sequence[Any]  # id, name, email of everyone in the layers and the overrides


def _today(now: datetime) -> datetime:
    """Whole UTC days, so every refresh within a day yields the same events and UIDs."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


async def load_feed_source(
    *,
    session: AsyncSession,
    now: datetime,
    schedule_id: uuid.UUID | None = None,
    token: str | None = None,
) -> FeedSource:
    """The rows of one schedule's feed, by id (404 ``Schedule``) or by its feed token."""
    where: ColumnElement[bool] = (
        _SCHEDULES.c.id == schedule_id if token is None else _SCHEDULES.c.ical_token == token
    )
    query = select(
        _SCHEDULES.c.id, _SCHEDULES.c.name, _SCHEDULES.c.timezone, _TEAMS.c.name.label("team_name")
    ).join(_TEAMS, _TEAMS.c.id == _SCHEDULES.c.team_id)
    schedule = (await session.execute(query.where(where))).one_or_none()
    if schedule is None:
        if token is not None:
            raise ApiError(404, "No calendar feed with that address", code="not_found")
        raise NotFound("Schedule", schedule_id)
    participants = func.array_agg(
        aggregate_order_by(_PARTICIPANTS.c.user_id, _PARTICIPANTS.c.position)
    )
    layers = await session.execute(
        select(_LAYERS, participants.label("participants"))
        .join(_PARTICIPANTS, _PARTICIPANTS.c.layer_id == _LAYERS.c.id)
        .where(_LAYERS.c.schedule_id == schedule.id)
        .group_by(_LAYERS.c.id)
        .order_by(_LAYERS.c.level)
    )
    overrides = await session.execute(
        select(_OVERRIDES)
        .where(_OVERRIDES.c.schedule_id == schedule.id)
        .where(_OVERRIDES.c.ends_at > _today(now) - timedelta(days=DAYS_BACK))
        .where(_OVERRIDES.c.starts_at < _today(now) + timedelta(days=DAYS_AHEAD))
        .order_by(_OVERRIDES.c.starts_at)
        .limit(10_000)
    )
    overrides_rows = overrides.all()
    in_layers = (
        select(_PARTICIPANTS.c.user_id)
        .join(_LAYERS, _LAYERS.c.id == _PARTICIPANTS.c.layer_id)
        .where(_LAYERS.c.schedule_id == schedule.id)
    )
    in_overrides = select(_OVERRIDES.c.user_id).where(_OVERRIDES.c.schedule_id == schedule.id)
    people = await session.execute(
        select(_USERS.c.id, _USERS.c.name, _USERS.c.email).where(
            _USERS.c.id.in_(union(in_layers, in_overrides).scalar_subquery())
        )
    )
    return FeedSource(schedule, layers.all(), overrides_rows, people.all())


def _model(source: FeedSource) -> rotation.Schedule:
    return rotation.Schedule(
        timezone=ZoneInfo(source.schedule.timezone),
        layers=tuple(
            rotation.Layer(
                key=row.id,
                level=row.level,
                participants=tuple(row.participants),
                rotation_type=row.rotation_type,
                shift_length=row.shift_length,
                start_date=row.start_date,
                handoff_time=row.handoff_time,
                restrictions=tuple(oncall.restriction_of(r) for r in row.restrictions),
            )
            for row in source.layers
        ),
        overrides=tuple(
            rotation.Override(key=row.id, user=row.user_id, start=row.starts_at, end=row.ends_at)
            for row in source.overrides
        ),
    )


def build_feed(
    source: FeedSource, *, now: datetime, user_id: uuid.UUID | None, max_layer_shifts: int
) -> tuple[bytes, int]:
    """Pure and CPU-bound (run in a thread): the feed's bytes and the number of days it covers."""
    today = _today(now)
    model = _model(source)
    start, end = feed_window(model, today, max_layer_shifts)
    shifts = oncall.build_shift_list(
        schedule_id=source.schedule.id,
        timezone=source.schedule.timezone,
        layers={row.id: row for row in source.layers},
        users={
            row.id: UserBrief(id=row.id, name=row.name, email=row.email) for row in source.people
        },
        segments=rotation.final_segments(model, start, end),
        start=start,
        end=end,
    )
    if user_id is not None:
        shifts.shifts = [s for s in shifts.shifts if s.user.id == user_id]
    body = render_ical(
        schedule_name=source.schedule.name,
        team_name=source.schedule.team_name,
        shifts=shifts,
        now=now,
    )
    return body, (end - start).days


async def render_feed(
    *,
    source: FeedSource,
    now: datetime,
    user_id: uuid.UUID | None,
    max_layer_shifts: int,
    limiter: asyncio.Semaphore,
) -> tuple[bytes, int]:
    """The feed's bytes and the number of days it covers, computed in a worker thread."""
    async with limiter:
        return await asyncio.to_thread(
            build_feed, source, now=now, user_id=user_id, max_layer_shifts=max_layer_shifts
        )
