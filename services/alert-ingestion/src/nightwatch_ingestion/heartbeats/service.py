"""Heartbeat data functions: keyword-only, take the session, never commit (the router does)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from nightwatch_core.db import fetch_page
from nightwatch_core.errors import ApiError
from nightwatch_core.ids import uuid7
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_ingestion.heartbeats.models import heartbeats
from nightwatch_ingestion.heartbeats.schemas import HeartbeatCreate, HeartbeatRead, HeartbeatUpdate
from nightwatch_ingestion.rows import one_or_404

PING_PATH = "/api/v1/heartbeats/ping/"


def new_ping_key() -> str:
    return f"nwh_{secrets.token_urlsafe(24)}"


def ping_url(public_base_url: str, key: str) -> str:
    return public_base_url.rstrip("/") + PING_PATH + key


def to_read(row: Any, *, public_base_url: str) -> HeartbeatRead:
    return HeartbeatRead(
        id=row.id,
        name=row.name,
        team=row.team,
        service=row.service,
        severity=row.severity,
        interval_seconds=row.interval_seconds,
        grace_seconds=row.grace_seconds,
        state=row.state,
        ping_url=ping_url(public_base_url, row.ping_key),
        deadline_at=row.deadline_at,
        last_ping_at=row.last_ping_at,
        last_missed_at=row.last_missed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _name_free(session: AsyncSession, name: str) -> None:
    if (await session.execute(select(heartbeats.c.id).where(heartbeats.c.name == name))).first():
        raise ApiError(
            409,
            f"A heartbeat named {name!r} exists already: choose another name",
            code="name_taken",
        )


async def create(*, session: AsyncSession, data: HeartbeatCreate, now: datetime) -> Any:
    """The first deadline runs from creation: a heartbeat never pinged is missed too."""
    await _name_free(session, data.name)
    heartbeat_id = uuid7()
    await session.execute(
        insert(heartbeats).values(
            id=heartbeat_id,
            name=data.name,
            team=data.team,
            service=data.service or data.name,
            severity=data.severity.value,
            interval_seconds=data.interval_seconds,
            grace_seconds=data.grace_seconds,
            ping_key=new_ping_key(),
            state="waiting",
            deadline_at=now + timedelta(seconds=data.interval_seconds + data.grace_seconds),
            created_at=now,
            updated_at=now,
        )
    )
    return await get(session=session, heartbeat_id=heartbeat_id)


async def get(*, session: AsyncSession, heartbeat_id: uuid.UUID) -> Any:
    return await one_or_404(session, heartbeats, heartbeat_id, "Heartbeat")


async def list_page(*, session: AsyncSession, limit: int, offset: int) -> tuple[list[Any], int]:
    query = select(heartbeats).order_by(heartbeats.c.name, heartbeats.c.id)
    return await fetch_page(session, query, limit=limit, offset=offset)


async def change(
    *, session: AsyncSession, heartbeat_id: uuid.UUID, data: HeartbeatUpdate, now: datetime
) -> Any:
    """A new interval or grace applies from the last ping (or creation) on."""
    row = await get(session=session, heartbeat_id=heartbeat_id)
    values: dict[str, Any] = {
        key: (value.value if hasattr(value, "value") else value)
        for key, value in data.model_dump(exclude_unset=True).items()
        if value is not None
    }
    interval = values.get("interval_seconds", row.interval_seconds)
    grace = values.get("grace_seconds", row.grace_seconds)
    if row.state != "down":
        values["deadline_at"] = (row.last_ping_at or row.created_at) + timedelta(
            seconds=interval + grace
        )
    await session.execute(
        update(heartbeats).where(heartbeats.c.id == heartbeat_id).values(updated_at=now, **values)
    )
    return await get(session=session, heartbeat_id=heartbeat_id)


async def rotate_key(*, session: AsyncSession, heartbeat_id: uuid.UUID, now: datetime) -> Any:
    await get(session=session, heartbeat_id=heartbeat_id)
    await session.execute(
        update(heartbeats)
        .where(heartbeats.c.id == heartbeat_id)
        .values(ping_key=new_ping_key(), updated_at=now)
    )
    return await get(session=session, heartbeat_id=heartbeat_id)


async def remove(*, session: AsyncSession, heartbeat_id: uuid.UUID) -> None:
    await get(session=session, heartbeat_id=heartbeat_id)
    await session.execute(delete(heartbeats).where(heartbeats.c.id == heartbeat_id))
