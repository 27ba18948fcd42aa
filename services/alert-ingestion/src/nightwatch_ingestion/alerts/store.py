"""Storing alerts: each statement takes arrays, runs in autocommit on the raw asyncpg pool.

An alert is written once, after incident-management placed it (with its incident and result) or,
when it could not be reached, as pending with a row in ``ingestion.link_queue`` (the link
worker's outbox) — in both cases before the sender gets an answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from nightwatch_ingestion.alerts.placement import Placed, Prepared

_COLUMNS = """id, fingerprint, service, severity, message, labels, alert_timestamp, received_at,
    team, source, integration_id, event, details, status, resolved_at"""
# A resolve notification is stored resolved (it says the alert stopped firing).
_VALUES = """a.id, a.fingerprint, a.service, a.severity, a.message, a.labels::jsonb,
    coalesce(a.ts, a.received_at), a.received_at, a.team, a.source, a.integration_id, a.event,
    a.details::jsonb, CASE WHEN a.event = 'resolve' THEN 'resolved' ELSE 'firing' END,
    CASE WHEN a.event = 'resolve' THEN a.received_at END"""
_ARRAYS = """$1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::uuid[], $12::text[],
    $13::text[]"""
_NAMES = """id, fingerprint, service, severity, message, labels, ts, received_at, team, source,
    integration_id, event, details"""

_INSERT_LINKED = f"""
    INSERT INTO ingestion.alerts ({_COLUMNS}, incident_id, correlation_result, linked_at)
    SELECT {_VALUES}, a.incident_id, a.result, $16
    FROM unnest({_ARRAYS}, $14::uuid[], $15::text[]) AS a({_NAMES}, incident_id, result)
"""  # noqa: S608 - fragments are constants

_INSERT_PENDING = f"""
    WITH stored AS (
        INSERT INTO ingestion.alerts ({_COLUMNS})
        SELECT {_VALUES} FROM unnest({_ARRAYS}) AS a({_NAMES})
        RETURNING id
    )
    INSERT INTO ingestion.link_queue (alert_id, batch_id, queued_at, due_at, last_error)
    SELECT id, $14, $15, $15, $16 FROM stored
"""  # noqa: S608 - fragments are constants

# The source said these alerts stopped firing: every firing alert of the fingerprint on the
# incident that took the resolve is resolved (by the incident's index, then the fingerprint).
_MARK_RESOLVED = """
    UPDATE ingestion.alerts a SET status = 'resolved', resolved_at = r.at
    FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS r(incident_id, fingerprint, at)
    WHERE a.incident_id = r.incident_id AND a.fingerprint = r.fingerprint
      AND a.status = 'firing'
"""


# Held back by a silence or maintenance window: stored firing, with what suppressed it, no
# incident and no link queue row (nothing is to be placed).
_INSERT_SUPPRESSED = f"""
    WITH stored AS (
        INSERT INTO ingestion.alerts ({_COLUMNS}, correlation_result, suppressed_by_kind,
                                      suppressed_by_id)
        SELECT {_VALUES}, 'suppressed', a.kind, a.suppressed_by
        FROM unnest({_ARRAYS}, $14::text[], $15::uuid[]) AS a({_NAMES}, kind, suppressed_by)
        RETURNING id, fingerprint, received_at
    )
    INSERT INTO ingestion.held_alerts (fingerprint, alert_id, held_at)
    SELECT DISTINCT ON (fingerprint) fingerprint, id, received_at FROM stored
    ORDER BY fingerprint, received_at DESC, id DESC
    ON CONFLICT (fingerprint) DO UPDATE SET alert_id = excluded.alert_id, held_at = excluded.held_at
"""  # noqa: S608 - fragments are constants

# A resolve from the source also resolves the suppressed alerts of its fingerprint (they are on
# no incident, so the incident's resolve cannot reach them).
_RESOLVE_SUPPRESSED = """
    WITH no_longer_held AS (
        DELETE FROM ingestion.held_alerts WHERE fingerprint = ANY($1::text[])
    )
    UPDATE ingestion.alerts a SET status = 'resolved', resolved_at = r.at
    FROM unnest($1::text[], $2::timestamptz[]) AS r(fingerprint, at)
    WHERE a.fingerprint = r.fingerprint AND a.suppressed_by_id IS NOT NULL
      AND a.status = 'firing'
"""


def _alert_arrays(alerts: list[Prepared]) -> list[object]:
    return [
        [a.alert_id for a in alerts],
        [a.fingerprint for a in alerts],
        [a.service for a in alerts],
        [a.severity for a in alerts],
        [a.message for a in alerts],
        [a.labels_json for a in alerts],
        [a.timestamp for a in alerts],
        [a.received_at for a in alerts],
        [a.team for a in alerts],
        [a.source for a in alerts],
        [a.integration_id for a in alerts],
        [a.event for a in alerts],
        [a.details_json for a in alerts],
    ]


async def insert_linked(
    conn: asyncpg.Connection,
    *,
    alerts: list[Prepared],
    placed: dict[uuid.UUID, Placed],
    linked_at: datetime,
) -> None:
    await conn.execute(
        _INSERT_LINKED,
        *_alert_arrays(alerts),
        [placed[a.alert_id].incident_id for a in alerts],
        [placed[a.alert_id].result.value for a in alerts],
        linked_at,
    )
    await mark_resolved(conn, alerts=alerts, placed=placed)


async def mark_resolved(
    conn: asyncpg.Connection, *, alerts: list[Prepared], placed: dict[uuid.UUID, Placed]
) -> None:
    """Resolve the stored alerts that a resolve in this batch reached (no statement without one)."""
    resolves = [
        (where.incident_id, a.fingerprint, a.received_at)
        for a in alerts
        if a.event == "resolve" and (where := placed[a.alert_id]).incident_id is not None
    ]
    if resolves:
        await conn.execute(
            _MARK_RESOLVED, *(list(column) for column in zip(*resolves, strict=True))
        )


async def insert_suppressed(
    conn: asyncpg.Connection, *, alerts: list[Prepared], why: list[tuple[str, uuid.UUID]]
) -> None:
    """``why``: (kind, id) of the silence or window, one per alert."""
    await conn.execute(
        _INSERT_SUPPRESSED,
        *_alert_arrays(alerts),
        [kind for kind, _ in why],
        [suppression_id for _, suppression_id in why],
    )


async def resolve_suppressed(conn: asyncpg.Connection, *, resolves: list[Prepared]) -> None:
    await conn.execute(
        _RESOLVE_SUPPRESSED,
        [a.fingerprint for a in resolves],
        [a.received_at for a in resolves],
    )


async def insert_pending(
    conn: asyncpg.Connection,
    *,
    alerts: list[Prepared],
    batch_id: uuid.UUID,
    now: datetime,
    error: str,
) -> None:
    await conn.execute(_INSERT_PENDING, *_alert_arrays(alerts), batch_id, now, error[:2000])


# ---------------------------------------------------------------- the link worker's statements

# One sender at a time across replicas (the call it makes holds this transaction open).
LINK_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('nightwatch.ingestion.link'))"

# Whole batches, oldest first: a batch is always sent again exactly as it was first sent.
CLAIM_DUE = """
    WITH due AS (
        SELECT batch_id, min(queued_at) AS first_queued FROM ingestion.link_queue
        WHERE dead_at IS NULL AND due_at <= $1
        GROUP BY batch_id ORDER BY first_queued LIMIT $2
    )
    SELECT q.batch_id, q.attempts, a.id, a.service, a.severity, a.fingerprint, a.message,
           a.labels::text AS labels, a.team, a.received_at, a.alert_timestamp, a.source,
           a.integration_id, a.event, a.details::text AS details,
           'integration:' || i.name AS actor, coalesce(i.auto_resolve, true) AS auto_resolve
    FROM due JOIN ingestion.link_queue q USING (batch_id)
    JOIN ingestion.alerts a ON a.id = q.alert_id
    LEFT JOIN ingestion.integrations i ON i.id = a.integration_id
    ORDER BY due.first_queued, q.batch_id, a.received_at, a.id
"""

LINK = """
    WITH placed AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS p(id, incident_id, result)
    ), linked AS (
        UPDATE ingestion.alerts a
        SET incident_id = p.incident_id, correlation_result = p.result, linked_at = $4
        FROM placed p WHERE a.id = p.id AND a.linked_at IS NULL
    )
    DELETE FROM ingestion.link_queue WHERE alert_id IN (SELECT id FROM placed)
"""

RESCHEDULE = """
    UPDATE ingestion.link_queue SET attempts = attempts + 1, due_at = $2, last_error = $3
    WHERE batch_id = $1
"""

# incident-management answers again: what the outage's backoff pushed back is due now.
RELEASE_DEFERRED = """
    UPDATE ingestion.link_queue SET due_at = $1 WHERE dead_at IS NULL AND due_at > $1
"""

# Refused for good: kept, with the reason, never deleted.
BURY = """
    UPDATE ingestion.link_queue SET attempts = attempts + 1, dead_at = $2, last_error = $3
    WHERE batch_id = $1
"""

BACKLOG = "SELECT count(*) FROM ingestion.link_queue WHERE dead_at IS NULL"
