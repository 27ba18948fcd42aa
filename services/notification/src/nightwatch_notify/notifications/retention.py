"""Retention of notifications (``NOTIFICATION_RETENTION_DAYS``, default 180): see
nightwatch_core/retention.py. A notification past its age is removed once it is delivered or failed
for good; one still pending (being retried) is kept, however old."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from nightwatch_core.retention import Batch, RetentionTask

from nightwatch_notify.settings import NotifySettings

# One statement a batch: walk oldest first from the last position, remove what is finished.
DELETE = """
    WITH scanned AS (
        SELECT id, created_at, status FROM notification.notifications
        WHERE created_at < $1 AND (created_at, id) > ($2, $3)
        ORDER BY created_at, id LIMIT $4
        FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM notification.notifications
        WHERE id IN (SELECT id FROM scanned WHERE status <> 'pending')
        RETURNING id
    )
    SELECT (SELECT count(*) FROM scanned) AS scanned,
           (SELECT count(*) FROM gone) AS deleted,
           last.created_at, last.id
    FROM (SELECT created_at, id FROM scanned ORDER BY created_at DESC, id DESC LIMIT 1) AS last
"""
_FIRST = (datetime.min.replace(tzinfo=UTC), uuid.UUID(int=0))  # before every row


async def delete_notifications(app: FastAPI, cutoff: datetime, after: Any, limit: int) -> Batch:
    created_after, id_after = after or _FIRST
    async with app.state.db_pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(DELETE, cutoff, created_after, id_after, limit)
    if row is None:  # nothing left before the cutoff
        return Batch(scanned=0, deleted=0, next_after=after)
    return Batch(
        scanned=row["scanned"], deleted=row["deleted"], next_after=(row["created_at"], row["id"])
    )


def notification_retention(settings: NotifySettings) -> RetentionTask:
    return RetentionTask(
        table="notification.notifications",
        max_age=timedelta(days=settings.notification_retention_days),
        delete_batch=delete_notifications,
    )
