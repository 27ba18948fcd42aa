"""The hot path: one alert into an already open, fresh group, as ONE statement (one round trip).

Most alerts join an incident that is already open. For them the whole of correlation — find the
fresh open group, refresh its ``last_alert_at`` (at most once a second, skipping a locked row),
claim the fingerprint (first: ``correlated``; conflict: ``duplicate``) and insert the alert — is a
single SQL statement run in autocommit on a raw asyncpg pool: no BEGIN/COMMIT round trips, no ORM.
The statement is its own transaction, so the alert is durable when the answer goes out.

When it returns no row (no fresh open group: the first alert, a window that passed, a resolved
incident) nothing was written and the caller takes the general path (service.store_alerts).
Profiling showed the general path spending most of its time in per-statement driver and session
overhead (7 round trips per alert); see docs/benchmarks.md.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import orjson

from nightwatch_ingestion.alerts.correlation import TOUCH_GRANULARITY
from nightwatch_ingestion.alerts.schemas import AlertCreate, CorrelationResult

_JOIN_OPEN_GROUP = """
WITH g AS (
    SELECT id, incident_id, last_alert_at FROM ingestion.correlation_groups
    WHERE service = $1 AND severity = $2 AND closed_at IS NULL AND last_alert_at >= $3
), touched AS (
    UPDATE ingestion.correlation_groups SET last_alert_at = $4
    WHERE id IN (
        SELECT id FROM ingestion.correlation_groups
        WHERE id IN (SELECT id FROM g WHERE last_alert_at < $5)
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
), fp AS (
    INSERT INTO ingestion.group_fingerprints (group_id, fingerprint)
    SELECT id, $6 FROM g
    ON CONFLICT DO NOTHING
    RETURNING group_id
)
INSERT INTO ingestion.alerts (id, fingerprint, service, severity, message, labels,
    alert_timestamp, received_at, incident_id, correlation_result, group_id, team)
SELECT $7, $6, $1, $2, $8, $9::jsonb, $10, $4, g.incident_id,
    CASE WHEN EXISTS (SELECT 1 FROM fp) THEN 'correlated' ELSE 'duplicate' END, g.id, $11
FROM g
RETURNING group_id, incident_id, correlation_result
"""


@dataclass(frozen=True)
class Joined:
    group_id: uuid.UUID
    incident_id: uuid.UUID | None
    result: CorrelationResult


async def join_open_group(
    conn: asyncpg.Connection,
    *,
    alert: AlertCreate,
    alert_id: uuid.UUID,
    fingerprint: str,
    team: str,
    now: datetime,
    window: timedelta,
) -> Joined | None:
    """Store the alert in its fresh open group; None (nothing written) when there is none."""
    row = await conn.fetchrow(
        _JOIN_OPEN_GROUP,
        alert.service,
        alert.severity.value,
        now - window,
        now,
        now - TOUCH_GRANULARITY,
        fingerprint,
        alert_id,
        alert.message,
        orjson.dumps(alert.labels).decode(),
        alert.timestamp or now,
        team,
    )
    if row is None:
        return None
    return Joined(row["group_id"], row["incident_id"], CorrelationResult(row["correlation_result"]))
