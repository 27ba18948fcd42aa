"""The iCalendar feed, bounded and off the event loop (issue #12, finding 10).

The feed URL needs no login, so anyone holding it decides how often it is computed. A schedule of
20 layers x 200 participants on hourly shifts made one fetch cost 1.5-1.8 s of the event loop:
every other request of the service waited that long. Now:

- the work is bounded: the window (7 days back, 85 ahead) shrinks until the layers' shifts in it
  stay under ``ICAL_MAX_LAYER_SHIFTS``; the answer says how many days it covers (``X-Feed-Days``);
- the merge of the layers and the rendering run in a worker thread, at most
  ``ICAL_CONCURRENCY`` feeds at once per process, so the loop keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.schedules import oncall, rotation
from nightwatch_oncall.schedules.ical import render_ical
from nightwatch_oncall.schedules.models import Schedule

DAYS_BACK = 7
DAYS_AHEAD = 85
_SHIFTS_PER_DAY = {"hourly": 24.0, "daily": 1.0, "weekly": 1 / 7}


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


async def render_feed(
    *,
    session: AsyncSession,
    schedule: Schedule,
    team_name: str,
    now: datetime,
    user_id: object | None,
    max_layer_shifts: int,
    limiter: asyncio.Semaphore,
) -> tuple[bytes, int]:
    """The feed's bytes and the number of days it covers."""
    # Whole UTC days, so every refresh within a day yields the same events and UIDs.
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    full = (today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD))
    model = await oncall.rotation_of(session=session, schedule=schedule, start=full[0], end=full[1])
    start, end = feed_window(model, today, max_layer_shifts)
    async with limiter:
        segments = await asyncio.to_thread(rotation.final_segments, model, start, end)
        shifts = await oncall.shift_list(
            session=session, schedule=schedule, segments=segments, start=start, end=end
        )
        if user_id is not None:
            shifts.shifts = [s for s in shifts.shifts if s.user.id == user_id]
        render = functools.partial(
            render_ical, schedule_name=schedule.name, team_name=team_name, shifts=shifts, now=now
        )
        body = await asyncio.to_thread(render)
    return body, (end - start).days
