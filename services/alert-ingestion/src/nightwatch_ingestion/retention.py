"""Retention of alerts (``ALERT_RETENTION_DAYS``, default 90): see nightwatch_core/retention.py.

An alert past its age is removed unless the product still needs it:
- its incident is not resolved yet: incident-management, which owns that fact, is asked for each
  batch (one call); resolved is final, so the answer cannot go stale before the delete;
- it still has work queued: placement (``link_queue``, incident-management was unreachable) or a
  held alert waiting for its silence or window to end (``held_alerts``).
When incident-management cannot answer, the batch's incident alerts are kept for the next pass.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from nightwatch_core.retention import Batch, RetentionTask

from nightwatch_ingestion.settings import IngestionSettings

# Oldest first by the (received_at DESC, id DESC) index, walked backwards from the last position.
SCAN = """
    SELECT id, received_at, incident_id FROM ingestion.alerts
    WHERE received_at < $1 AND (received_at, id) > ($2, $3)
    ORDER BY received_at, id LIMIT $4
"""
DELETE = """
    WITH gone AS (
        DELETE FROM ingestion.alerts WHERE id IN (
            SELECT a.id FROM ingestion.alerts a
            WHERE a.id = ANY($1::uuid[])
              AND NOT EXISTS (SELECT 1 FROM ingestion.link_queue q WHERE q.alert_id = a.id)
              AND NOT EXISTS (SELECT 1 FROM ingestion.held_alerts h WHERE h.alert_id = a.id)
            FOR UPDATE SKIP LOCKED)
        RETURNING id)
    SELECT count(*) FROM gone
"""
_FIRST = (datetime.min.replace(tzinfo=UTC), uuid.UUID(int=0))  # before every row
RESOLVED_PATH = "/internal/v1/incidents/resolved"


async def resolved_incidents(app: FastAPI, incident_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The ids among ``incident_ids`` that incident-management knows as resolved."""
    if not incident_ids:
        return set()
    response = await app.state.incident_client.post(
        RESOLVED_PATH, json={"incident_ids": [str(i) for i in incident_ids]}
    )
    response.raise_for_status()
    return {uuid.UUID(i) for i in response.json()["resolved"]}


async def delete_alerts(app: FastAPI, cutoff: datetime, after: Any, limit: int) -> Batch:
    received_after, id_after = after or _FIRST
    async with app.state.db_pool.acquire() as conn:
        rows = await conn.fetch(SCAN, cutoff, received_after, id_after, limit)
    if not rows:
        return Batch(scanned=0, deleted=0, next_after=after)
    resolved = await resolved_incidents(
        app, {row["incident_id"] for row in rows if row["incident_id"] is not None}
    )
    removable = [
        row["id"] for row in rows if row["incident_id"] is None or row["incident_id"] in resolved
    ]
    deleted = 0
    if removable:
        async with app.state.db_pool.acquire() as conn, conn.transaction():
            deleted = await conn.fetchval(DELETE, removable)
    last = rows[-1]
    return Batch(scanned=len(rows), deleted=deleted, next_after=(last["received_at"], last["id"]))


def alert_retention(settings: IngestionSettings) -> RetentionTask:
    return RetentionTask(
        table="ingestion.alerts",
        max_age=timedelta(days=settings.alert_retention_days),
        delete_batch=delete_alerts,
    )
