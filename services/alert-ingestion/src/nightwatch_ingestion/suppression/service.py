"""Silence and maintenance window data functions: keyword-only, take the session, never commit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from nightwatch_core.db import fetch_page
from nightwatch_core.errors import ApiError
from nightwatch_core.ids import uuid7
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_ingestion.rows import one_or_404
from nightwatch_ingestion.suppression.cache import window_of
from nightwatch_ingestion.suppression.models import maintenance_windows, silences
from nightwatch_ingestion.suppression.recurrence import current_or_next
from nightwatch_ingestion.suppression.schemas import (
    MAX_RANGE,
    Lifecycle,
    SilenceCreate,
    SilenceRead,
    WindowCreate,
    WindowRead,
)


def lifecycle(starts_at: datetime, ends_at: datetime | None, now: datetime) -> Lifecycle:
    if ends_at is None or ends_at <= now:
        return Lifecycle.expired
    return Lifecycle.active if starts_at <= now else Lifecycle.pending


# ------------------------------------------------------------------ silences
def silence_read(row: Any, *, now: datetime) -> SilenceRead:
    return SilenceRead(
        id=row.id,
        matchers=row.matchers,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by=row.created_by,
        comment=row.comment,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expired_by=row.expired_by,
        status=lifecycle(row.starts_at, row.ends_at, now),
    )


async def create_silence(
    *, session: AsyncSession, data: SilenceCreate, actor: str, now: datetime
) -> Any:
    starts_at = data.starts_at or now
    if data.ends_at <= now:
        raise ApiError(422, "Invalid request: body.ends_at: must be in the future")
    if data.ends_at <= starts_at:
        raise ApiError(422, "Invalid request: body.ends_at: must be after starts_at")
    if data.ends_at - starts_at > MAX_RANGE:
        raise ApiError(422, "Invalid request: body.ends_at: a silence lasts at most 366 days")
    silence_id = uuid7()
    values = {
        "id": silence_id,
        "matchers": data.matchers,
        "starts_at": starts_at,
        "ends_at": data.ends_at,
        "created_by": actor,
        "comment": data.comment,
        "created_at": now,
        "updated_at": now,
    }
    await session.execute(insert(silences).values(**values))
    return await get_silence(session=session, silence_id=silence_id)


async def get_silence(*, session: AsyncSession, silence_id: uuid.UUID) -> Any:
    return await one_or_404(session, silences, silence_id, "Silence")


async def list_silences(
    *, session: AsyncSession, status: Lifecycle | None, now: datetime, limit: int, offset: int
) -> tuple[list[Any], int]:
    query = select(silences)
    if status is Lifecycle.active:
        query = query.where(silences.c.starts_at <= now, silences.c.ends_at > now)
    elif status is Lifecycle.pending:
        query = query.where(silences.c.starts_at > now)
    elif status is Lifecycle.expired:
        query = query.where(silences.c.ends_at <= now)
    query = query.order_by(silences.c.ends_at.desc(), silences.c.id.desc())
    return await fetch_page(session, query, limit=limit, offset=offset)


async def expire_silence(
    *, session: AsyncSession, silence_id: uuid.UUID, actor: str, now: datetime
) -> Any:
    """End it now (a pending one never starts). Expiring an expired silence changes nothing."""
    row = await get_silence(session=session, silence_id=silence_id)
    if row.ends_at <= now:
        return row
    await session.execute(
        update(silences)
        .where(silences.c.id == silence_id)
        .values(ends_at=now, starts_at=min(row.starts_at, now), expired_by=actor, updated_at=now)
    )
    return await get_silence(session=session, silence_id=silence_id)


# ------------------------------------------------------------------ maintenance windows
def window_read(row: Any, *, now: datetime) -> WindowRead:
    occurrence = current_or_next(window_of(row._mapping).schedule, now)
    start, end = occurrence if occurrence else (None, None)
    status = Lifecycle.expired
    if start is not None:
        status = lifecycle(start, end, now)
    return WindowRead(
        id=row.id,
        name=row.name,
        services=row.services,
        teams=row.teams,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        recurrence=row.recurrence,
        time_zone=row.time_zone,
        repeat_until=row.repeat_until,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=status,
        next_start=start,
        next_end=end,
    )


def _window_values(data: WindowCreate) -> dict[str, Any]:
    return {
        "name": data.name,
        "services": sorted(set(data.services)),
        "teams": sorted(set(data.teams)),
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "recurrence": data.recurrence.value,
        "time_zone": data.time_zone,
        "repeat_until": data.repeat_until,
    }


async def create_window(
    *, session: AsyncSession, data: WindowCreate, actor: str, now: datetime
) -> Any:
    window_id = uuid7()
    await session.execute(
        insert(maintenance_windows).values(
            id=window_id, created_by=actor, created_at=now, updated_at=now, **_window_values(data)
        )
    )
    return await get_window(session=session, window_id=window_id)


async def get_window(*, session: AsyncSession, window_id: uuid.UUID) -> Any:
    return await one_or_404(session, maintenance_windows, window_id, "Maintenance window")


async def list_windows(*, session: AsyncSession, limit: int, offset: int) -> tuple[list[Any], int]:
    query = select(maintenance_windows).order_by(
        maintenance_windows.c.starts_at.desc(), maintenance_windows.c.id.desc()
    )
    return await fetch_page(session, query, limit=limit, offset=offset)


async def replace_window(
    *, session: AsyncSession, window_id: uuid.UUID, data: WindowCreate, now: datetime
) -> Any:
    await get_window(session=session, window_id=window_id)
    await session.execute(
        update(maintenance_windows)
        .where(maintenance_windows.c.id == window_id)
        .values(updated_at=now, **_window_values(data))
    )
    return await get_window(session=session, window_id=window_id)


async def delete_window(*, session: AsyncSession, window_id: uuid.UUID) -> None:
    """Gone at once (an ongoing window stops); alerts it suppressed keep its id."""
    await get_window(session=session, window_id=window_id)
    await session.execute(delete(maintenance_windows).where(maintenance_windows.c.id == window_id))
