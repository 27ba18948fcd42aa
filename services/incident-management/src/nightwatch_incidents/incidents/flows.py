"""Side effects of the incident lifecycle: the calls to on-call and ingestion.

Every call that matters is first written to ``incidents.jobs`` in the same transaction as the
change that causes it (outbox), so an outage of a neighbour delays it and never drops it:

- new incident  -> ``start_escalation``: the due starts are sent together, POST oncall
  /internal/v1/escalations/batch (idempotent per incident), so a storm of new incidents costs one
  call per batch. Retried with capped backoff until on-call accepts them.
- acknowledge / resolve -> ``stop_escalation``: POST oncall /internal/v1/escalations/{id}/stop.
  The router also tries it right after the commit, within the request and a short timeout, so no
  page goes out after the ack response; when that works the queued job is dropped, otherwise the
  job is made due at once and the worker retries it.
- resolve -> ``incident_event``: POST ingestion /internal/v1/incident-events, so the next alert for
  that service and severity opens a new incident.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from nightwatch_core.jobs import JobQueue, NewJob, PermanentJobError, enqueue, enqueue_many
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_incidents.incidents import service
from nightwatch_incidents.incidents.batch_timeline import Entry, append_timeline_many
from nightwatch_incidents.incidents.models import SCHEMA, Incident
from nightwatch_incidents.incidents.states import Status

log = logging.getLogger("nightwatch.incidents.flows")

START_ESCALATION = "start_escalation"
STOP_ESCALATION = "stop_escalation"
INCIDENT_EVENT = "incident_event"
# The newest alerts shown with an incident (ingestion's page size allows up to 500).
ALERTS_SHOWN = 200
# Jobs claimed together: the escalation starts among them go to on-call in one call.
JOB_BATCH = 100


def _check(response: httpx.Response, what: str, *, done_statuses: tuple[int, ...] = (409,)) -> None:
    """Success, or raise: retry later, except when the target says our request is malformed."""
    if response.is_success or response.status_code in done_statuses:
        return
    detail = f"{what}: HTTP {response.status_code} {response.text[:300]}"
    if response.status_code in (400, 422):
        raise PermanentJobError(detail)
    # 404 is retried too: during a rolling deploy the route may not exist yet.
    raise RuntimeError(detail)


# ---------------------------------------------------------------- enqueue (inside the transaction)


def _start_job(app: FastAPI, incident: Incident) -> NewJob:
    return NewJob(
        kind=START_ESCALATION,
        payload={
            "incident_id": str(incident.id),
            "team": incident.team,
            "title": incident.title,
            "service": incident.service,
            "severity": incident.severity,
        },
        run_at=app.state.clock.now(),
        dedup_key=f"escalate:{incident.id}",
    )


async def queue_escalation_start(session: AsyncSession, app: FastAPI, incident: Incident) -> None:
    job = _start_job(app, incident)
    await enqueue(
        session,
        schema=SCHEMA,
        kind=job.kind,
        payload=job.payload,
        run_at=job.run_at,
        dedup_key=job.dedup_key,
    )


async def queue_escalation_starts(
    session: AsyncSession, app: FastAPI, incidents: list[Incident]
) -> None:
    """``queue_escalation_start`` for many new incidents, with one statement."""
    await enqueue_many(session, schema=SCHEMA, jobs=[_start_job(app, i) for i in incidents])


def _stop_key(incident_id: uuid.UUID, reason: str) -> str:
    return f"stop:{incident_id}:{reason}"


async def queue_escalation_stop(
    session: AsyncSession, app: FastAPI, incident: Incident, *, reason: str, actor: str
) -> None:
    grace = timedelta(seconds=app.state.settings.escalation_stop_grace_seconds)
    await enqueue(
        session,
        schema=SCHEMA,
        kind=STOP_ESCALATION,
        payload={"incident_id": str(incident.id), "reason": reason, "actor": actor},
        run_at=app.state.clock.now() + grace,
        dedup_key=_stop_key(incident.id, reason),
    )


async def queue_incident_event(session: AsyncSession, app: FastAPI, incident: Incident) -> None:
    await enqueue(
        session,
        schema=SCHEMA,
        kind=INCIDENT_EVENT,
        payload={"incident_id": str(incident.id), "status": incident.status},
        run_at=app.state.clock.now(),
        dedup_key=f"incident-event:{incident.id}:{incident.status}",
    )


# ---------------------------------------------------------------- job handlers


def _skipped(incident_id: uuid.UUID, status: str) -> Entry:
    # Acknowledged or resolved before on-call could be reached: paging now would be wrong.
    return Entry(
        incident_id=incident_id,
        event_type="escalation_skipped",
        actor="system",
        message=f"Escalation not started: incident already {status}",
        dedup_key="escalation:skipped",
    )


def _started(incident_id: uuid.UUID, team: str) -> Entry:
    return Entry(
        incident_id=incident_id,
        event_type="escalation_started",
        actor="system",
        message=f"Escalation started for team {team}",
        data={"team": team},
        dedup_key="escalation:started",
    )


async def start_escalations(
    *, app: FastAPI, session: AsyncSession, payloads: list[dict[str, Any]]
) -> list[Exception | None]:
    """Batch job: start the escalations of the incidents still open, with one call to on-call."""
    ids = [uuid.UUID(payload["incident_id"]) for payload in payloads]
    # FOR SHARE: an acknowledge (FOR UPDATE) waits until the call is done, so a stop can never
    # overtake the start it is meant to stop. Sorted, so concurrent batches lock in one order.
    rows = await session.execute(
        select(Incident.id, Incident.status)
        .where(Incident.id.in_(ids))
        .order_by(Incident.id)
        .with_for_update(read=True)
    )
    statuses = {row.id: row.status for row in rows}
    outcomes: list[Exception | None] = []
    entries: list[Entry] = []
    to_start: list[dict[str, Any]] = []
    for payload, incident_id in zip(payloads, ids, strict=True):
        status = statuses.get(incident_id)
        if status is None:
            outcomes.append(PermanentJobError(f"incident {incident_id} does not exist"))
        elif status != Status.OPEN:
            outcomes.append(None)
            entries.append(_skipped(incident_id, status))
        else:
            outcomes.append(None)
            entries.append(_started(incident_id, payload["team"]))
            to_start.append(payload)
    if to_start:
        response = await app.state.oncall.post(
            "/internal/v1/escalations/batch",
            json={"escalations": to_start},
            idempotency_key=f"escalate-batch:{to_start[0]['incident_id']}:{len(to_start)}",
        )
        if response.status_code in (400, 404, 422):
            # On-call refuses the batch, or is a version without the batch route (404, a rolling
            # deploy): one by one, so only a start it refuses is kept dead.
            return [await _start_alone(app, session, payload) for payload in payloads]
        _check(response, "start escalations")
    await append_timeline_many(session=session, entries=entries, now=app.state.clock.now())
    return outcomes


async def _start_alone(
    app: FastAPI, session: AsyncSession, payload: dict[str, Any]
) -> Exception | None:
    try:
        async with session.begin_nested():
            await start_escalation(app=app, session=session, payload=payload)
    except Exception as exc:
        return exc
    return None


async def start_escalation(*, app: FastAPI, session: AsyncSession, payload: dict[str, Any]) -> None:
    """One start through the single route (when on-call refuses a batch)."""
    incident_id = uuid.UUID(payload["incident_id"])
    incident = await session.scalar(
        select(Incident).where(Incident.id == incident_id).with_for_update(read=True)
    )
    if incident is None:
        raise PermanentJobError(f"incident {incident_id} does not exist")
    entry = _started(incident_id, payload["team"])
    if incident.status != Status.OPEN:
        entry = _skipped(incident_id, incident.status)
    else:
        response = await app.state.oncall.post(
            "/internal/v1/escalations", json=payload, idempotency_key=f"escalate:{incident_id}"
        )
        _check(response, "start escalation")
    await append_timeline_many(session=session, entries=[entry], now=app.state.clock.now())


async def stop_escalation(*, app: FastAPI, session: AsyncSession, payload: dict[str, Any]) -> None:
    await _post_stop(app.state.oncall, payload)


async def _post_stop(client: Any, payload: dict[str, Any]) -> None:
    response = await client.post(
        f"/internal/v1/escalations/{payload['incident_id']}/stop",
        json={"reason": payload["reason"], "actor": payload["actor"]},
        idempotency_key=f"stop:{payload['incident_id']}:{payload['reason']}",
    )
    # 404: no escalation for this incident (never started), so there is nothing to stop.
    _check(response, "stop escalation", done_statuses=(404, 409))


async def incident_event(*, app: FastAPI, session: AsyncSession, payload: dict[str, Any]) -> None:
    response = await app.state.ingestion_jobs.post(
        "/internal/v1/incident-events",
        json=payload,
        idempotency_key=f"incident-event:{payload['incident_id']}:{payload['status']}",
    )
    _check(response, "incident event")


def build_job_queue(max_backoff: float) -> JobQueue:
    return JobQueue(
        SCHEMA,
        {STOP_ESCALATION: stop_escalation, INCIDENT_EVENT: incident_event},
        batch_handlers={START_ESCALATION: start_escalations},
        batch_size=JOB_BATCH,
        max_backoff=max_backoff,
    )


# ---------------------------------------------------------------- within the request


async def stop_escalation_now(
    app: FastAPI, session: AsyncSession, incident_id: uuid.UUID, *, reason: str, actor: str
) -> bool:
    """Try the stop right away (after the commit); on failure make the queued job due now."""
    payload = {"incident_id": str(incident_id), "reason": reason, "actor": actor}
    key = _stop_key(incident_id, reason)
    try:
        await _post_stop(app.state.oncall_fast, payload)
        stopped = True
    except Exception as exc:
        log.warning(
            "escalation stop deferred to the job queue",
            extra={"incident_id": str(incident_id), "error": repr(exc)[:300]},
        )
        stopped = False
    try:
        # The request's own session (its change is committed): no second connection per request.
        async with session.begin():
            if stopped:
                statement = f"DELETE FROM {SCHEMA}.jobs WHERE dedup_key = :key"  # noqa: S608
                await session.execute(text(statement), {"key": key})
            else:
                statement = f"UPDATE {SCHEMA}.jobs SET run_at = :now WHERE dedup_key = :key"  # noqa: S608
                await session.execute(text(statement), {"key": key, "now": app.state.clock.now()})
    except Exception as exc:  # the change is committed; the queued job still covers the stop
        log.warning("could not update the stop job", extra={"error": repr(exc)[:300]})
        await session.rollback()
    app.state.job_queue.wake()
    return stopped


async def fetch_alerts(
    app: FastAPI, session: AsyncSession, incident_id: uuid.UUID
) -> tuple[list[dict[str, Any]], str]:
    """The incident's alerts from ingestion; when it is down, the ones recorded here."""
    try:
        response = await app.state.ingestion.get(
            "/api/v1/alerts", params={"incident_id": str(incident_id), "limit": ALERTS_SHOWN}
        )
        if response.status_code == 200:
            body = response.json()
            items = body.get("items") if isinstance(body, dict) else body
            if isinstance(items, list):
                return items, "ingestion"
        log.warning("alert ingestion answered %s for an alert list", response.status_code)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("alert ingestion unreachable for an alert list: %r", exc)
    recorded = await service.list_recorded_alerts(session=session, incident_id=incident_id)
    return [
        {
            "id": str(a.alert_id),
            "fingerprint": a.fingerprint,
            "result": a.result,
            "message": a.message,
            "received_at": a.received_at.isoformat(),
        }
        for a in recorded
    ], "local"
