"""Durable workers: what incident-management must still be told survives in PostgreSQL.

- link: correlation groups without an incident (incident-management was down or slow when the
  group opened) get one — ``POST /api/v1/incidents`` with the group's Idempotency-Key, so a retry
  or a second replica never opens a second incident. Claimed with a lease (no lock held during the
  HTTP call); a crash mid-call only delays it until the lease ends.
- attach: alerts not yet on their incident's timeline (rows of ``ingestion.attach_queue``) are
  sent in batches to ``POST /internal/v1/incidents/{id}/alerts`` (idempotent per alert_id), by
  one replica at a time (a transaction-level advisory lock), at most every
  ``attach_min_interval_seconds`` under load so each round carries many alerts.
Both back off (capped) while incident-management is unreachable and never drop anything: an
alert it refuses for good (4xx) is kept, its delivery recorded as dead with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from nightwatch_ingestion.alerts import service
from nightwatch_ingestion.alerts.flows import IncidentCallFailed, open_group_incident, settings_of

log = logging.getLogger("nightwatch.ingestion.workers")

LINK_LEASE = timedelta(seconds=60)
LINK_BATCH = 20
# One call carries at most this many alerts (incident-management's limit) and about this many
# bytes of messages, far below a 1 MiB body limit even with 4 KiB messages.
ATTACH_CHUNK = 1000
ATTACH_CHUNK_BYTES = 256 * 1024

_CLAIM_GROUPS = text(
    """
    UPDATE ingestion.correlation_groups
    SET link_due_at = :lease_until, link_attempts = link_attempts + 1
    WHERE id IN (
        SELECT id FROM ingestion.correlation_groups
        WHERE incident_id IS NULL AND link_due_at <= :now
        ORDER BY link_due_at LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    RETURNING id, link_attempts
    """
)
_RESCHEDULE_GROUP = text(
    "UPDATE ingestion.correlation_groups SET link_due_at = :due, link_error = :error "
    "WHERE id = :id AND incident_id IS NULL"
)
# One attach sender at a time across replicas: a row lock per alert (FOR UPDATE) cost a WAL
# record per alert, about as much as storing it; one transaction-level advisory lock costs nothing.
_ATTACH_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('nightwatch.ingestion.attach'))"
# The outbox is ingestion.attach_queue (migration 0012): oldest first, as ids are time-ordered.
# PostgreSQL writes each alert's JSON item (incident-management's AlertAttachment) in C, so the
# worker only joins strings: building a dict per alert in Python was most of this worker's cost.
_CLAIM_ATTACH = """
    SELECT a.id, a.incident_id, json_build_object(
        'alert_id', a.id, 'fingerprint', a.fingerprint, 'result', a.correlation_result,
        'received_at', a.received_at, 'message', a.message)::text AS item
    FROM ingestion.attach_queue q JOIN ingestion.alerts a ON a.id = q.alert_id
    ORDER BY q.alert_id LIMIT $1
"""
# The outcome goes to the insert-only ingestion.alert_deliveries (migration 0013), in the same
# transaction that takes the alert off the queue.
_MARK_ATTACHED = """
    WITH sent AS (
        DELETE FROM ingestion.attach_queue WHERE alert_id = ANY($2::uuid[]) RETURNING alert_id
    )
    INSERT INTO ingestion.alert_deliveries (alert_id, attached_at)
    SELECT alert_id, $1 FROM sent ON CONFLICT DO NOTHING
"""
_MARK_DEAD = """
    WITH refused AS (
        DELETE FROM ingestion.attach_queue WHERE alert_id = ANY($2::uuid[]) RETURNING alert_id
    )
    INSERT INTO ingestion.alert_deliveries (alert_id, dead_at, error)
    SELECT alert_id, $1, $3 FROM refused ON CONFLICT DO NOTHING
"""


def backoff(attempts: int, cap: float) -> timedelta:
    return timedelta(seconds=min(cap, 2 ** max(0, attempts - 1)))


async def link_once(app: FastAPI) -> int:
    """Open the incidents of due groups; heal alerts whose group got linked. Returns groups tried."""
    settings = settings_of(app)
    now = app.state.clock.now()
    async with app.state.sessionmaker() as session:
        async with session.begin():
            await service.link_pending_alerts(session)
            claimed = (
                await session.execute(
                    _CLAIM_GROUPS,
                    {"now": now, "lease_until": now + LINK_LEASE, "limit": LINK_BATCH},
                )
            ).all()
        for row in claimed:
            try:
                await open_group_incident(
                    app, session, group_id=row.id, client=app.state.incident_client
                )
            except IncidentCallFailed as exc:
                await session.rollback()
                due = app.state.clock.now() + backoff(
                    row.link_attempts, settings.worker_max_backoff_seconds
                )
                await session.execute(
                    _RESCHEDULE_GROUP, {"id": row.id, "due": due, "error": str(exc)[:2000]}
                )
                await session.commit()
                log.warning("could not open incident for group %s: %s", row.id, exc)
                break  # the neighbour is likely down: leave the rest for the next round
    if claimed:
        app.state.attach_wake.set()
    return len(claimed)


def _chunks(items: list[Any]) -> list[list[Any]]:
    chunks: list[list[Any]] = [[]]
    size = 0
    for row in items:
        cost = len(row["item"]) + 1
        if chunks[-1] and (len(chunks[-1]) >= ATTACH_CHUNK or size + cost > ATTACH_CHUNK_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(row)
        size += cost
    return [chunk for chunk in chunks if chunk]


async def attach_once(app: FastAPI) -> tuple[int, bool]:
    """Send one batch of unattached alerts. Returns (alerts handled, incident-management failed).

    Handled: attached, or refused for good and kept as dead. Runs on the raw asyncpg pool with
    bodies PostgreSQL wrote: it handles every alert once more, so its cost per alert counts.
    """
    settings = settings_of(app)
    client = app.state.incident_client
    attached = 0
    async with app.state.db_pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(_ATTACH_LOCK):
            return 0, False  # another replica is sending right now
        rows = await conn.fetch(_CLAIM_ATTACH, settings.attach_batch_size)
        by_incident: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in rows:
            by_incident[row["incident_id"]].append(row)
        for incident_id, items in by_incident.items():
            for chunk in _chunks(items):
                ids = [row["id"] for row in chunk]
                key = hashlib.sha256(b"".join(i.bytes for i in ids)).hexdigest()[:32]
                body = '{"alerts":[' + ",".join(row["item"] for row in chunk) + "]}"
                try:
                    response = await client.post(
                        f"/internal/v1/incidents/{incident_id}/alerts",
                        content=body.encode(),
                        idempotency_key=f"nightwatch-attach-{key}",
                    )
                except Exception as exc:
                    log.warning("attach to incident %s failed: %s", incident_id, exc)
                    return attached, True  # commit what went out; back off
                now = app.state.clock.now()
                if response.status_code < 300:
                    await conn.execute(_MARK_ATTACHED, now, ids)
                    attached += len(ids)
                elif response.status_code in (400, 404, 409, 422):
                    # Refused for good: keep the alerts, say why, stop retrying them.
                    log.error(
                        "incident-management refused alerts of %s: %s",
                        incident_id,
                        response.status_code,
                    )
                    error = f"HTTP {response.status_code}: {response.text[:500]}"
                    await conn.execute(_MARK_DEAD, now, ids, error)
                    attached += len(ids)
                else:
                    log.warning("attach to incident %s: HTTP %s", incident_id, response.status_code)
                    return attached, True
    return attached, False


async def _loop(app: FastAPI, wake: asyncio.Event, step: Any, min_interval: float = 0.0) -> None:
    """Run ``step`` (-> handled, full batch) again at once while batches are full, at most every
    ``min_interval`` while it finds some work, else on a wake-up or the poll interval; back off
    (capped) while it fails."""
    settings = settings_of(app)
    loop = asyncio.get_running_loop()
    failures = 0
    while True:
        round_started = loop.time()
        try:
            handled, full = await step(app)
            failures = 0
        except IncidentCallFailed:
            handled, full, failures = 0, False, failures + 1
        except Exception:
            log.exception("worker round failed")  # e.g. the database is down: retry later
            handled, full, failures = 0, False, failures + 1
        if failures:
            # Wake-ups would only hammer a neighbour that is down.
            await asyncio.sleep(min(settings.worker_max_backoff_seconds, 0.5 * 2 ** (failures - 1)))
            continue
        if full:
            continue
        if not handled:
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=settings.worker_poll_seconds)
        await asyncio.sleep(max(0.0, min_interval - (loop.time() - round_started)))


async def _link_step(app: FastAPI) -> tuple[int, bool]:
    claimed = await link_once(app)
    return claimed, claimed >= LINK_BATCH


async def _attach_step(app: FastAPI) -> tuple[int, bool]:
    attached, failed = await attach_once(app)
    if failed:
        raise IncidentCallFailed("attach: incident-management unreachable or failing")
    return attached, attached >= settings_of(app).attach_batch_size


async def link_worker(app: FastAPI) -> None:
    await _loop(app, app.state.link_wake, _link_step)


async def attach_worker(app: FastAPI) -> None:
    await _loop(
        app,
        app.state.attach_wake,
        _attach_step,
        min_interval=settings_of(app).attach_min_interval_seconds,
    )
