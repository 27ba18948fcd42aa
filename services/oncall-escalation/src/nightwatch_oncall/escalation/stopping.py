"""Stopping escalations on acknowledge / resolve, many in one statement.

Incident management sends the stops of concurrent acknowledges together (POST
/internal/v1/escalations/stops), so a burst of acks costs one statement per batch here instead of
~8 ORM round trips per ack. The single route is the same code with one stop.

The statement (``_STOP_SQL``, on the raw asyncpg pool; a lone statement is its own transaction):
- inserts a stopped record for an incident whose start has not arrived (the late start then pages
  nobody: ``service.start`` keeps it stopped);
- locks every existing escalation in incident order (``FOR UPDATE``): it waits for a page being
  sent right now, which holds that lock, so once this commits no page goes out; the fixed order
  keeps two concurrent batches from deadlocking. After a wait it sees the row as committed;
- stops the running ones and cancels their queued pages, records a resolve after an acknowledge,
  and writes one event per change, with the messages the ORM path wrote;
- queues an ``escalation_stopped`` entry for the incident's timeline (a durable job) per stop of
  a running escalation.

A row a concurrent stop inserted after this statement's snapshot is neither inserted (conflict)
nor visible to the lock: those few incidents go through the statement once more, whose new
snapshot sees them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class Stop:
    incident_id: uuid.UUID
    reason: str  # "acknowledged" | "resolved"
    actor: str


@dataclass(frozen=True)
class Stopped:
    incident_id: uuid.UUID
    status: str
    stop_reason: str | None


_STOP_SQL = """
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(incident_id, reason, actor)
), created AS (
    INSERT INTO oncall.escalations
        (incident_id, status, stop_reason, stopped_by, stopped_at, created_at, updated_at)
    SELECT incident_id, 'stopped', reason, actor, $4, $4, $4 FROM input ORDER BY incident_id
    ON CONFLICT (incident_id) DO NOTHING
    RETURNING incident_id, stop_reason, stopped_by
), locked AS (
    SELECT e.incident_id, e.status, e.stop_reason, e.last_level, i.reason, i.actor
    FROM oncall.escalations e JOIN input i USING (incident_id)
    ORDER BY e.incident_id
    FOR UPDATE OF e
), running AS (
    UPDATE oncall.escalations e
    SET status = 'stopped', next_step_at = NULL, manual_by = NULL, stop_reason = l.reason,
        stopped_by = l.actor, stopped_at = $4, updated_at = $4
    FROM locked l
    WHERE e.incident_id = l.incident_id AND l.status <> 'stopped'
    RETURNING e.incident_id, l.reason, l.actor
), upgraded AS (
    UPDATE oncall.escalations e
    SET stop_reason = 'resolved', updated_at = $4
    FROM locked l
    WHERE e.incident_id = l.incident_id AND l.status = 'stopped'
      AND l.stop_reason = 'acknowledged' AND l.reason = 'resolved'
    RETURNING e.incident_id, l.actor
), cancelled AS (
    UPDATE oncall.escalation_pages p SET status = 'cancelled'
    FROM running r
    WHERE p.incident_id = r.incident_id AND p.status = 'queued'
    RETURNING p.incident_id
), cancelled_count AS (
    SELECT incident_id, count(*) AS n FROM cancelled GROUP BY incident_id
), stop_entries AS (
    -- The incident's timeline says so too (issue #15, item 3): a durable job, like every entry.
    INSERT INTO oncall.jobs (kind, payload, run_at, dedup_key)
    SELECT 'incident_timeline',
           jsonb_build_object(
               'incident_id', r.incident_id::text, 'event_type', 'escalation_stopped',
               'actor', r.actor,
               'message', 'Escalation stopped' || coalesce(' at level ' || (l.last_level + 1), '')
                   || ': ' || r.reason || ' by ' || r.actor
                   || coalesce('; ' || c.n || ' page(s) not yet sent were cancelled', ''),
               'data', jsonb_build_object('reason', r.reason, 'level', l.last_level + 1,
                                          'cancelled_pages', coalesce(c.n, 0)),
               'dedup_key', 'escalation-stopped'),
           $4, 'timeline:escalation-stopped:' || r.incident_id::text
    FROM running r JOIN locked l USING (incident_id) LEFT JOIN cancelled_count c USING (incident_id)
    ON CONFLICT (dedup_key) DO NOTHING
), events AS (
    INSERT INTO oncall.escalation_events (incident_id, kind, actor, message, created_at)
    SELECT incident_id, 'stopped', stopped_by,
           'Stopped before it started: ' || stop_reason || ' by ' || stopped_by, $4
    FROM created
    UNION ALL
    SELECT r.incident_id, 'stopped', r.actor,
           'Escalation stopped: ' || r.reason || ' by ' || r.actor
           || coalesce('; ' || c.n || ' page(s) not yet sent were cancelled', ''), $4
    FROM running r LEFT JOIN cancelled_count c USING (incident_id)
    UNION ALL
    SELECT incident_id, 'stopped', actor, 'Resolved by ' || actor, $4 FROM upgraded
)
SELECT incident_id, 'stopped' AS status, stop_reason FROM created
UNION ALL
SELECT l.incident_id,
       CASE WHEN r.incident_id IS NULL THEN l.status ELSE 'stopped' END,
       CASE WHEN r.incident_id IS NOT NULL THEN r.reason
            WHEN u.incident_id IS NOT NULL THEN 'resolved'
            ELSE l.stop_reason END
FROM locked l
LEFT JOIN running r USING (incident_id)
LEFT JOIN upgraded u USING (incident_id)
"""


async def stop_many(
    conn: asyncpg.Connection, *, stops: Sequence[Stop], now: datetime
) -> list[Stopped]:
    """Stop each incident's escalation (idempotent); the outcome of each stop, in order.

    An incident named twice (its acknowledge and its resolve in one batch) is stopped in order:
    each round names an incident at most once."""
    outcomes: dict[int, Stopped] = {}
    remaining = list(enumerate(stops))
    while remaining:
        this_round: dict[uuid.UUID, int] = {}
        later: list[tuple[int, Stop]] = []
        for index, stop in remaining:
            if stop.incident_id in this_round:
                later.append((index, stop))
            else:
                this_round[stop.incident_id] = index
        done = await _stop_round(conn, [stops[i] for i in this_round.values()], now)
        for incident_id, index in this_round.items():
            outcomes[index] = done[incident_id]
        remaining = later
    return [outcomes[index] for index in range(len(stops))]


async def _stop_round(
    conn: asyncpg.Connection, stops: list[Stop], now: datetime
) -> dict[uuid.UUID, Stopped]:
    done: dict[uuid.UUID, Stopped] = {}
    for _ in range(2):  # the second pass sees rows a concurrent stop inserted (module docstring)
        todo = [s for s in stops if s.incident_id not in done]
        if not todo:
            break
        rows = await conn.fetch(
            _STOP_SQL,
            [s.incident_id for s in todo],
            [s.reason for s in todo],
            [s.actor for s in todo],
            now,
        )
        done.update({row["incident_id"]: Stopped(**row) for row in rows})
    missing = [s.incident_id for s in stops if s.incident_id not in done]
    if missing:  # cannot happen: the second snapshot sees every committed insert
        raise RuntimeError(f"escalations neither inserted nor found: {missing}")
    return done
