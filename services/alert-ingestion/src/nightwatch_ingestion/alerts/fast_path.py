"""The hot path: alerts into already open, fresh groups, as ONE statement (one round trip).

Most alerts join an incident that is already open. For them the whole of correlation — find each
alert's fresh open group, refresh its ``last_alert_at`` (at most once a second, skipping a locked
row), claim each fingerprint (first: ``correlated``; taken: ``duplicate``) and insert the alerts —
is a single SQL statement over arrays (which also queues each linked alert for its incident's
timeline), run in autocommit on a raw asyncpg pool: no BEGIN/COMMIT
round trips, no ORM. The statement is its own transaction, so every alert it returns is durable.

Concurrent single POSTs share one statement (coalescing.py), so one commit — one WAL flush —
serves many requests. An alert the statement does not return had no fresh open group (the first
alert, a window that passed, a resolved incident): nothing was written for it and the caller
takes the general path (service.store_alerts). Profiling: docs/benchmarks.md.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from nightwatch_ingestion.alerts.correlation import TOUCH_GRANULARITY
from nightwatch_ingestion.alerts.schemas import CorrelationResult

# `placed` is referenced twice, so PostgreSQL computes it once. Within one statement the first
# alert (by position) of a (group, fingerprint) claims it; later ones are duplicates, as are all
# whose claim conflicts with a row already there. Fingerprints are claimed in index order, so two
# concurrent statements wait for each other in one order and cannot deadlock.
_JOIN_OPEN_GROUPS = """
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::timestamptz[], $8::text[]) WITH ORDINALITY
        AS i(id, service, severity, fingerprint, message, labels, ts, team, pos)
), g AS (
    SELECT id, service, severity, incident_id, last_alert_at FROM ingestion.correlation_groups
    WHERE closed_at IS NULL AND last_alert_at >= $9
      AND (service, severity) IN (SELECT service, severity FROM input)
), touched AS (
    UPDATE ingestion.correlation_groups SET last_alert_at = $10
    WHERE id IN (
        SELECT id FROM ingestion.correlation_groups
        WHERE id IN (SELECT id FROM g WHERE last_alert_at < $11)
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
), placed AS (
    SELECT i.*, g.id AS group_id, g.incident_id,
           row_number() OVER (PARTITION BY g.id, i.fingerprint ORDER BY i.pos) AS nth
    FROM input i JOIN g ON g.service = i.service AND g.severity = i.severity
), claimed AS (
    INSERT INTO ingestion.group_fingerprints (group_id, fingerprint)
    SELECT group_id, fingerprint FROM placed WHERE nth = 1 ORDER BY group_id, fingerprint
    ON CONFLICT DO NOTHING
    RETURNING group_id, fingerprint
), stored AS (
    INSERT INTO ingestion.alerts (id, fingerprint, service, severity, message, labels,
        alert_timestamp, received_at, incident_id, correlation_result, group_id, team)
    SELECT p.id, p.fingerprint, p.service, p.severity, p.message, p.labels::jsonb,
        coalesce(p.ts, $10), $10, p.incident_id,
        CASE WHEN c.group_id IS NULL THEN 'duplicate' ELSE 'correlated' END, p.group_id, p.team
    FROM placed p
    LEFT JOIN claimed c
        ON p.nth = 1 AND c.group_id = p.group_id AND c.fingerprint = p.fingerprint
    RETURNING id, group_id, incident_id, correlation_result
), queued AS (
    INSERT INTO ingestion.attach_queue (alert_id)
    SELECT id FROM stored WHERE incident_id IS NOT NULL
)
SELECT id, group_id, incident_id, correlation_result FROM stored
"""


@dataclass(frozen=True)
class JoinRequest:
    """One alert, ready for the statement (validated, fingerprinted, its team decided)."""

    alert_id: uuid.UUID
    service: str
    severity: str
    fingerprint: str
    message: str
    labels_json: str
    timestamp: datetime | None
    team: str


@dataclass(frozen=True)
class Joined:
    group_id: uuid.UUID
    incident_id: uuid.UUID | None
    result: CorrelationResult


async def join_open_groups(
    conn: asyncpg.Connection,
    *,
    alerts: list[JoinRequest],
    now: datetime,
    window: timedelta,
) -> dict[uuid.UUID, Joined]:
    """Store the alerts that have a fresh open group; the answer is keyed by alert id.

    Alerts missing from the answer were not written.
    """
    rows = await conn.fetch(
        _JOIN_OPEN_GROUPS,
        [a.alert_id for a in alerts],
        [a.service for a in alerts],
        [a.severity for a in alerts],
        [a.fingerprint for a in alerts],
        [a.message for a in alerts],
        [a.labels_json for a in alerts],
        [a.timestamp for a in alerts],
        [a.team for a in alerts],
        now - window,
        now,
        now - TOUCH_GRANULARITY,
    )
    return {
        row["id"]: Joined(
            row["group_id"], row["incident_id"], CorrelationResult(row["correlation_result"])
        )
        for row in rows
    }
