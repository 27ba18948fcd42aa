"""The write hot paths as single SQL statements on the raw asyncpg pool (``app.state.db_pool``).

Profiling ``make bench-incidents`` showed the ORM path spending most of a create or acknowledge in
per-statement overhead: a ping on checkout, BEGIN, four or five statements through SQLAlchemy,
COMMIT. Here a create is one statement (incident + its timeline entries + the escalation job, each
a CTE) and a status-only acknowledge / start-of-work is one statement too; a lone statement is its
own transaction, so what it writes commits together or not at all. Other changes (assignee, notes,
resolve) keep the ORM path in ``service.update_incident``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import orjson

from nightwatch_incidents.incidents import flows, stopping
from nightwatch_incidents.incidents.schemas import IncidentCreate
from nightwatch_incidents.incidents.states import Status

READ_COLUMNS = (
    "id, title, description, service, severity, status, team, assignee, created_at, updated_at, "
    "acknowledged_at, resolved_at, acknowledged_by, resolved_by, alert_count, duplicate_count, "
    "page_state"
)

# The created entry, the assignee entry (when assigned at creation) and the start_escalation job
# read the row the INSERT returns; ON CONFLICT leaves `created` empty on an Idempotency-Key
# replay, and then nothing else is written either.
_CREATE_SQL = f"""
WITH created AS (
    INSERT INTO incidents.incidents
        (title, description, service, severity, status, team, assignee, created_at, updated_at,
         idempotency_key)
    VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $7, $8)
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING {READ_COLUMNS}
), entries AS (
    INSERT INTO incidents.incident_timeline
        (incident_id, event_type, actor, message, data, dedup_key, created_at)
    SELECT id, 'created', $9,
           'Incident created (' || severity || ', ' || service || ', team ' || team || ')',
           jsonb_build_object('severity', severity, 'service', service, 'team', team),
           'created', created_at
    FROM created
    UNION ALL
    SELECT id, 'assignee_changed', $9, 'Assigned to ' || assignee,
           jsonb_build_object('from', NULL, 'to', assignee), NULL, created_at
    FROM created WHERE assignee IS NOT NULL
), escalation AS (
    INSERT INTO incidents.jobs (kind, payload, run_at, dedup_key)
    SELECT '{flows.START_ESCALATION}',
           jsonb_build_object('incident_id', id::text, 'team', team, 'title', title,
                              'service', service, 'severity', severity),
           $7, 'escalate:' || id::text
    FROM created
    ON CONFLICT (dedup_key) DO NOTHING
)
SELECT {READ_COLUMNS} FROM created
"""  # noqa: S608 - constants only; every value is a parameter

_BY_KEY_SQL = f"SELECT {READ_COLUMNS} FROM incidents.incidents WHERE idempotency_key = $1"  # noqa: S608


async def create_incident(
    conn: asyncpg.Connection,
    *,
    data: IncidentCreate,
    actor: str,
    now: datetime,
    default_team: str,
    idempotency_key: str | None,
) -> tuple[asyncpg.Record, bool]:
    """The new incident (True), or the one already created with this idempotency key (False)."""
    row = await conn.fetchrow(
        _CREATE_SQL,
        data.title,
        data.description,
        data.service,
        data.severity.value,
        data.team or default_team,
        data.assignee,
        now,
        idempotency_key,
        actor,
    )
    if row is not None:
        return row, True
    # A concurrent create with the same key made ON CONFLICT wait for its commit; this statement
    # has a new snapshot, so it sees that incident.
    existing = await conn.fetchrow(_BY_KEY_SQL, idempotency_key)
    assert existing is not None
    return existing, False


# Each hot transition has exactly one status it may follow (states.TRANSITIONS).
HOT_TRANSITIONS: dict[Status, Status] = {
    Status.ACKNOWLEDGED: Status.OPEN,
    Status.IN_PROGRESS: Status.ACKNOWLEDGED,
}

# The UPDATE takes the row lock and, if it had to wait for another transaction, checks
# `status = $from` again on the row that transaction committed (READ COMMITTED re-check), so of
# two simultaneous acknowledges exactly one matches. The timeline entry has no ON CONFLICT: its
# unique dedup key `status:<to>` makes a second entry an error that undoes the whole statement.
_TRANSITION_SQL = f"""
WITH changed AS (
    UPDATE incidents.incidents
    SET status = $2,
        updated_at = greatest($4, created_at),
        acknowledged_at = CASE WHEN $2 = 'acknowledged' THEN greatest($4, created_at)
                               ELSE acknowledged_at END,
        acknowledged_by = CASE WHEN $2 = 'acknowledged' THEN $5 ELSE acknowledged_by END
    WHERE id = $1 AND status = $3
    RETURNING {READ_COLUMNS}
), entry AS (
    INSERT INTO incidents.incident_timeline
        (incident_id, event_type, actor, message, data, dedup_key, created_at)
    SELECT id, 'status_changed', $5, 'Status ' || $3 || ' → ' || $2,
           jsonb_build_object('from', $3::text, 'to', $2::text)
           || CASE WHEN $2 = 'acknowledged' THEN jsonb_build_object(
                  'mtta_seconds', extract(epoch FROM acknowledged_at - created_at)::float8)
              ELSE '{{}}'::jsonb END,
           'status:' || $2, updated_at
    FROM changed
), stop_job AS (
    INSERT INTO incidents.jobs (kind, payload, run_at, dedup_key)
    SELECT '{stopping.STOP_ESCALATION}', $6::jsonb, $7, $8 FROM changed WHERE $6::jsonb IS NOT NULL
    ON CONFLICT (dedup_key) DO NOTHING
)
SELECT {READ_COLUMNS} FROM changed
"""  # noqa: S608 - constants only; every value is a parameter

_CURRENT_STATUS_SQL = "SELECT status FROM incidents.incidents WHERE id = $1"


async def transition(
    conn: asyncpg.Connection,
    *,
    incident_id: uuid.UUID,
    target: Status,
    actor: str,
    now: datetime,
    stop_grace: timedelta,
) -> asyncpg.Record | str | None:
    """The changed row; else the current status (the transition is refused), or None (unknown)."""
    stop_payload = stop_key = None
    if target is Status.ACKNOWLEDGED:  # as stopping.queue_escalation_stop
        reason = target.value
        stop_payload = orjson.dumps(
            {"incident_id": str(incident_id), "reason": reason, "actor": actor}
        ).decode()
        stop_key = stopping.stop_key(incident_id, reason)
    try:
        row = await conn.fetchrow(
            _TRANSITION_SQL,
            incident_id,
            target.value,
            HOT_TRANSITIONS[target].value,
            now,
            actor,
            stop_payload,
            now + stop_grace,
            stop_key,
        )
    except asyncpg.UniqueViolationError:  # unreachable while the UPDATE's check holds
        row = None
    if row is not None:
        return row
    # A new snapshot: the status the winner of a race committed, for the 409's details.
    status: Any = await conn.fetchval(_CURRENT_STATUS_SQL, incident_id)
    return None if status is None else str(status)
