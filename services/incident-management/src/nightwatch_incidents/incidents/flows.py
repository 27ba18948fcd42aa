"""Side effects of the incident lifecycle: the calls to on-call and ingestion.

Every call that matters is first written to ``incidents.jobs`` in the same transaction as the
change that causes it (outbox), so an outage of a neighbour delays it and never drops it:

- new incident  -> ``start_escalation``: the due starts are sent together, POST oncall
  /internal/v1/escalations/batch (idempotent per incident), so a storm of new incidents costs one
  call per batch. Retried with capped backoff until on-call accepts them.
- acknowledge / resolve -> ``stop_escalation``: ``stopping.py`` (tried within the request too,
  concurrent requests' stops in one call; the worker sends the queued ones in batches).

Resolving needs no call: correlation lives here (``nightwatch_incidents.correlation``), and the
resolve closes the incident's alert group in its own transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import httpx
from fastapi import FastAPI
from nightwatch_contracts.escalations import EscalationStart, EscalationStartBatch
from nightwatch_contracts.sending import ValidationError, checked_body
from nightwatch_core.errors import ApiError
from nightwatch_core.jobs import JobQueue, NewJob, PermanentJobError, enqueue_many
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_incidents.incidents import stopping
from nightwatch_incidents.incidents.batch_timeline import Entry, append_timeline_many
from nightwatch_incidents.incidents.models import SCHEMA, Incident
from nightwatch_incidents.incidents.states import Status

log = logging.getLogger("nightwatch.incidents.flows")

START_ESCALATION = "start_escalation"
# The newest alerts shown with an incident; the rest: GET /api/v1/incidents/{id}/alerts.
ALERTS_SHOWN = 50
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


class EscalationSubject(Protocol):
    """What an escalation start says about its incident."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def team(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def severity(self) -> str: ...


def escalation_start(incident: EscalationSubject) -> dict[str, Any]:
    """What the job keeps and on-call receives (``nightwatch_contracts.escalations.
    EscalationStart``, checked when sent: a team-less incident is refused there, not here)."""
    return {
        "incident_id": str(incident.id),
        "team": incident.team,
        "title": incident.title,
        "service": incident.service,
        "severity": incident.severity,
    }


def _start_job(app: FastAPI, incident: EscalationSubject) -> NewJob:
    return NewJob(
        kind=START_ESCALATION,
        payload=escalation_start(incident),
        run_at=app.state.clock.now(),
        dedup_key=f"escalate:{incident.id}",
    )


async def queue_escalation_start(session: AsyncSession, app: FastAPI, incident: Incident) -> None:
    await queue_escalation_starts(session, app, [incident])


async def queue_escalation_starts(
    session: AsyncSession, app: FastAPI, incidents: Sequence[EscalationSubject]
) -> None:
    """One job per new incident, all in one statement (a storm opens hundreds at once)."""
    await enqueue_many(session, schema=SCHEMA, jobs=[_start_job(app, i) for i in incidents])


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
        try:
            body = checked_body(EscalationStartBatch, {"escalations": to_start})
        except ValidationError:  # one start on-call would refuse: find it, one by one
            return [await _start_alone(app, session, payload) for payload in payloads]
        response = await app.state.oncall.post(
            "/internal/v1/escalations/batch",
            json=body,
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
        try:
            body = checked_body(EscalationStart, payload)
        except ValidationError as exc:
            raise PermanentJobError(f"on-call would refuse this start: {exc}") from None
        response = await app.state.oncall.post(
            "/internal/v1/escalations", json=body, idempotency_key=f"escalate:{incident_id}"
        )
        _check(response, "start escalation")
    await append_timeline_many(session=session, entries=[entry], now=app.state.clock.now())


def build_job_queue(max_backoff: float) -> JobQueue:
    return JobQueue(
        SCHEMA,
        {},
        batch_handlers={
            START_ESCALATION: start_escalations,
            stopping.STOP_ESCALATION: stopping.stop_escalations,
        },
        batch_size=JOB_BATCH,
        max_backoff=max_backoff,
    )


class InvalidAlertCursor(ApiError):
    def __init__(self) -> None:
        super().__init__(
            422, "Invalid cursor: pass next_cursor (alerts_next_cursor) from a previous answer"
        )


class AlertsUnavailable(ApiError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            503,
            f"Alert ingestion, which stores the alerts, cannot be reached ({reason}); "
            "the incident itself is unaffected: try again shortly",
            code="alerts_unavailable",
        )


async def fetch_alert_page(
    app: FastAPI, incident_id: uuid.UUID, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of the incident's alerts, newest first, from ingestion (their one owner)."""
    params = {"incident_id": str(incident_id), "limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    try:
        response = await app.state.ingestion.get("/api/v1/alerts", params=params)
    except httpx.HTTPError as exc:
        raise AlertsUnavailable(type(exc).__name__) from None
    if response.status_code == 422:
        raise InvalidAlertCursor()
    if response.status_code != 200:
        raise AlertsUnavailable(f"HTTP {response.status_code}")
    try:
        body = response.json()
        return {
            "items": list(body["items"]),
            "limit": limit,
            "next_cursor": body.get("next_cursor"),
        }
    except (ValueError, KeyError, TypeError):
        raise AlertsUnavailable("unexpected answer") from None


async def fetch_alerts(
    app: FastAPI, incident_id: uuid.UUID
) -> tuple[list[dict[str, Any]], str | None, str]:
    """The newest alerts for the incident page, the cursor to the next page, and the source
    (``unavailable`` when ingestion cannot be reached: the page still shows the incident)."""
    try:
        page = await fetch_alert_page(app, incident_id, limit=ALERTS_SHOWN, cursor=None)
    except AlertsUnavailable as exc:
        log.warning("alerts of incident %s unavailable: %s", incident_id, exc.message)
        return [], None, "unavailable"
    return page["items"], page["next_cursor"], "ingestion"
