"""Stopping the escalation on acknowledge / resolve: the outbox job and the in-request call.

The change and a ``stop_escalation`` job commit together (so an outage of on-call delays the stop,
never drops it). Right after the commit the request also asks on-call itself, within a short
timeout, so no page goes out after the ack response. Concurrent acknowledges share that call:
their stops wait in a ``Coalescer`` and go as one ``POST /internal/v1/escalations/stops`` (one
transaction on on-call's side), and the jobs they made unnecessary are dropped with one statement.
When the call fails, those jobs are made due at once and the worker retries them, in batches too.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from nightwatch_contracts.escalations import EscalationStop, EscalationStopBatch
from nightwatch_contracts.sending import ValidationError, checked_body
from nightwatch_core.coalescing import Coalescer
from nightwatch_core.jobs import PermanentJobError, enqueue
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_incidents.incidents.models import SCHEMA, Incident

log = logging.getLogger("nightwatch.incidents.stopping")

STOP_ESCALATION = "stop_escalation"
STOP_BATCH = 500  # on-call's limit per call (MAX_STOP_BATCH)

Payload = dict[str, Any]


def stop_key(incident_id: uuid.UUID | str, reason: str) -> str:
    return f"stop:{incident_id}:{reason}"


def escalation_stop(incident_id: uuid.UUID, *, reason: str, actor: str) -> Payload:
    """What the job keeps: an ``EscalationStopItem`` (nightwatch_contracts.escalations)."""
    return {"incident_id": str(incident_id), "reason": reason, "actor": actor}


def _key_of(payload: Payload) -> str:
    return stop_key(payload["incident_id"], payload["reason"])


async def queue_escalation_stop(
    session: AsyncSession, app: FastAPI, incident: Incident, *, reason: str, actor: str
) -> None:
    grace = timedelta(seconds=app.state.settings.escalation_stop_grace_seconds)
    await enqueue(
        session,
        schema=SCHEMA,
        kind=STOP_ESCALATION,
        payload=escalation_stop(incident.id, reason=reason, actor=actor),
        run_at=app.state.clock.now() + grace,
        dedup_key=stop_key(incident.id, reason),
    )


def _outcome(response: Any, what: str) -> Exception | None:
    """None when done (404: no escalation, nothing to stop); else why: a 400/422 is permanent,
    anything else is retried (404 too on the batch route: a rolling deploy)."""
    if response.is_success or response.status_code in (404, 409):
        return None
    detail = f"{what}: HTTP {response.status_code} {response.text[:300]}"
    if response.status_code in (400, 422):
        return PermanentJobError(detail)
    return RuntimeError(detail)


async def post_stops(client: Any, payloads: list[Payload]) -> list[Exception | None]:
    """Send the stops to on-call in calls of at most STOP_BATCH; per stop, None or why not."""
    outcomes: list[Exception | None] = []
    for start in range(0, len(payloads), STOP_BATCH):
        chunk = payloads[start : start + STOP_BATCH]
        try:
            body = checked_body(EscalationStopBatch, {"stops": chunk})
        except ValidationError:  # one stop on-call would refuse: one by one, as for its 422
            outcomes += [await _post_stop(client, payload) for payload in chunk]
            continue
        response = await client.post(
            "/internal/v1/escalations/stops",
            json=body,
            idempotency_key=f"stops:{_key_of(chunk[0])}:{len(chunk)}",
        )
        if response.status_code in (404, 422):
            # A version without the batch route, or one stop it refuses: one by one, so only
            # that stop is kept dead.
            outcomes += [await _post_stop(client, payload) for payload in chunk]
        else:
            outcomes += [_outcome(response, "stop escalations")] * len(chunk)
    return outcomes


async def _post_stop(client: Any, payload: Payload) -> Exception | None:
    try:
        body = checked_body(
            EscalationStop, {"reason": payload["reason"], "actor": payload["actor"]}
        )
    except ValidationError as exc:
        return PermanentJobError(f"on-call would refuse this stop: {exc}")
    response = await client.post(
        f"/internal/v1/escalations/{payload['incident_id']}/stop",
        json=body,
        idempotency_key=f"stop:{payload['incident_id']}:{payload['reason']}",
    )
    return _outcome(response, "stop escalation")


async def stop_escalations(
    *, app: FastAPI, session: AsyncSession, payloads: list[Payload]
) -> list[Exception | None]:
    """Batch job: the queued stops, in as few calls as the batch allows."""
    return await post_stops(app.state.oncall, payloads)


# ---------------------------------------------------------------- within the request


def build_stop_coalescer(app: FastAPI) -> Coalescer[Payload, bool]:
    async def flush(payloads: list[Payload]) -> list[bool | BaseException]:
        return list(await _stop_now(app, payloads))

    return Coalescer(flush, max_batch=STOP_BATCH)


async def stop_escalation_now(
    app: FastAPI, incident_id: uuid.UUID, *, reason: str, actor: str
) -> bool:
    """Stop right away (after the commit), with the concurrent requests' stops; True when
    on-call confirmed it, False when the queued job will retry it."""
    payload = {"incident_id": str(incident_id), "reason": reason, "actor": actor}
    stopped: bool = await app.state.stop_coalescer.submit(payload)
    return stopped


async def _stop_now(app: FastAPI, payloads: list[Payload]) -> list[bool]:
    try:
        stopped = [outcome is None for outcome in await post_stops(app.state.oncall_fast, payloads)]
    except Exception as exc:
        log.warning("escalation stops deferred to the job queue", extra={"error": repr(exc)[:300]})
        stopped = [False] * len(payloads)
    done = [_key_of(p) for p, ok in zip(payloads, stopped, strict=True) if ok]
    retry = [_key_of(p) for p, ok in zip(payloads, stopped, strict=True) if not ok]
    try:
        # One statement on the raw pool (its own transaction): the changes are committed already.
        async with app.state.db_pool.acquire() as conn:
            await conn.execute(_SETTLE_JOBS, done, retry, app.state.clock.now())
    except Exception as exc:  # the changes are committed; the queued jobs still cover the stops
        log.warning("could not update the stop jobs", extra={"error": repr(exc)[:300]})
    if retry:
        app.state.job_queue.wake()
    return stopped


# The stops on-call confirmed need no job any more; the others are due at once.
_SETTLE_JOBS = f"""
WITH dropped AS (DELETE FROM {SCHEMA}.jobs WHERE dedup_key = ANY($1::text[]))
UPDATE {SCHEMA}.jobs SET run_at = $3 WHERE dedup_key = ANY($2::text[])
"""  # noqa: S608 - constants only
