"""Data functions of notifications: keyword-only, take the session, flush, never commit or send."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from nightwatch_contracts.notifications import NotificationCreate
from nightwatch_core.ids import uuid7
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_notify.notifications.models import Notification


@dataclass(frozen=True)
class NotificationFilters:
    incident_id: UUID | None = None
    recipient: str | None = None
    channel: str | None = None
    status: str | None = None


def _pending(data: NotificationCreate, *, max_attempts: int, now: datetime) -> dict[str, Any]:
    """The row of a new notification: pending, due now."""
    return data.model_dump() | {
        "status": "pending",
        "attempts": 0,
        "max_attempts": max_attempts,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def create_notification(
    *, session: AsyncSession, data: NotificationCreate, max_attempts: int, now: datetime
) -> tuple[Notification, bool]:
    """Store a pending notification, due now; with a known idempotency key return the existing one.

    Returns ``(notification, created)``. The unique index on ``idempotency_key`` decides, so two
    concurrent requests (or replicas) with one key still make one notification.
    """
    statement = (
        insert(Notification)
        .values(**_pending(data, max_attempts=max_attempts, now=now))
        .on_conflict_do_nothing(
            index_elements=[Notification.idempotency_key],
            index_where=Notification.idempotency_key.is_not(None),
        )
        .returning(Notification)
    )
    created = (await session.scalars(statement)).one_or_none()
    if created is not None:
        return created, True
    existing = await session.scalar(
        select(Notification).where(Notification.idempotency_key == data.idempotency_key)
    )
    assert existing is not None  # the conflict proves it exists and rows are never deleted
    return existing, False


async def create_notifications(
    *, session: AsyncSession, items: Sequence[NotificationCreate], max_attempts: int, now: datetime
) -> list[tuple[UUID, bool]]:
    """``create_notification`` for many, with one INSERT (and one SELECT for replayed keys):
    ``(id, created)`` per item, in order. A key repeated within the batch is one notification."""
    ids = [uuid7() for _ in items]
    rows = [
        _pending(item, max_attempts=max_attempts, now=now) | {"id": new_id}
        for new_id, item in zip(ids, items, strict=True)
    ]
    statement = (
        insert(Notification)
        .on_conflict_do_nothing(
            index_elements=[Notification.idempotency_key],
            index_where=Notification.idempotency_key.is_not(None),
        )
        .returning(Notification.id)
    )
    # A parameter list: one statement (insertmanyvalues) compiled once, for any batch size.
    created = set((await session.scalars(statement, rows)).all())
    replayed_keys = [
        item.idempotency_key
        for new_id, item in zip(ids, items, strict=True)
        if new_id not in created
    ]
    existing: dict[str | None, UUID] = {}
    if replayed_keys:
        found = await session.execute(
            select(Notification.idempotency_key, Notification.id).where(
                Notification.idempotency_key.in_(replayed_keys)
            )
        )
        existing = {row.idempotency_key: row.id for row in found}
    return [
        (new_id, True) if new_id in created else (existing[item.idempotency_key], False)
        for new_id, item in zip(ids, items, strict=True)
    ]


async def get_notification(*, session: AsyncSession, notification_id: UUID) -> Notification | None:
    return await session.get(Notification, notification_id)


async def list_notifications(
    *, session: AsyncSession, filters: NotificationFilters, limit: int, offset: int
) -> tuple[Sequence[Notification], int]:
    """Newest first; ``total`` counts every match, not just this page."""
    conditions = []
    if filters.incident_id is not None:
        conditions.append(Notification.incident_id == filters.incident_id)
    if filters.recipient is not None:
        conditions.append(Notification.recipient == filters.recipient)
    if filters.channel is not None:
        conditions.append(Notification.channel == filters.channel)
    if filters.status is not None:
        conditions.append(Notification.status == filters.status)
    total = await session.scalar(select(func.count()).select_from(Notification).where(*conditions))
    items = (
        await session.scalars(
            select(Notification)
            .where(*conditions)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return items, total or 0
