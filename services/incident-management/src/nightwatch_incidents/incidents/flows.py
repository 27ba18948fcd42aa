"""Side effects of the incident lifecycle: the calls to on-call and ingestion.

Every call that matters is first written to ``incidents.jobs`` in the same transaction as the
change that causes it (outbox), so an outage of a neighbour delays it and never drops it:

- new incident  -> ``start_escalation``: POST oncall /internal/v1/escalations (idempotent per
  incident). Retried with capped backoff until on-call accepts it.
- acknowledge / resolve -> ``stop_escalation``: POST oncall /internal/v1/escalations/{id}/stop.
  The router also tries it right after the commit, within the request and a short timeout, so no
  page goes out after the ack response; when that works the queued job is dropped, otherwise the
  job is made due at once and the worker retries it.

Resolving needs no call: correlation lives here (``nightwatch_incidents.correlation``), and the
resolve closes the incident's alert group in its own transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol

import httpx
from fastapi import FastAPI
from nightwatch_core.errors import ApiError
from nightwatch_core.jobs import JobQueue, PermanentJobError, enqueue, enqueue_many
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_incidents.incidents import service
from nightwatch_incidents.incidents.models import SCHEMA, Incident
from nightwatch_incidents.incidents.states import Status

log = logging.getLogger("nightwatch.incidents.flows")

START_ESCALATION = "start_escalation"
STOP_ESCALATION = "stop_escalation"
# The newest alerts shown with an incident; the rest: GET /api/v1/incidents/{id}/alerts.
ALERTS_SHOWN = 50


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


async def queue_escalation_start(session: AsyncSession, app: FastAPI, incident: Incident) -> None:
    await queue_escalation_starts(session, app, [incident])


async def queue_escalation_starts(
    session: AsyncSession, app: FastAPI, incidents: Sequence[EscalationSubject]
) -> None:
    """One job per new incident, all in one statement (a storm opens hundreds at once)."""
    await enqueue_many(
        session,
        schema=SCHEMA,
        kind=START_ESCALATION,
        jobs=[
            (
                {
                    "incident_id": str(incident.id),
                    "team": incident.team,
                    "title": incident.title,
                    "service": incident.service,
                    "severity": incident.severity,
                },
                f"escalate:{incident.id}",
            )
            for incident in incidents
        ],
        run_at=app.state.clock.now(),
    )


def stop_key(incident_id: uuid.UUID, reason: str) -> str:
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
        dedup_key=stop_key(incident.id, reason),
    )


# ---------------------------------------------------------------- job handlers


async def start_escalation(*, app: FastAPI, session: AsyncSession, payload: dict[str, Any]) -> None:
    incident_id = uuid.UUID(payload["incident_id"])
    # FOR SHARE: an acknowledge (FOR UPDATE) waits until this call is done, so a stop can never
    # overtake the start it is meant to stop.
    incident = await session.scalar(
        select(Incident).where(Incident.id == incident_id).with_for_update(read=True)
    )
    if incident is None:
        raise PermanentJobError(f"incident {incident_id} does not exist")
    now = max(app.state.clock.now(), incident.created_at)
    if incident.status != Status.OPEN:
        # Acknowledged or resolved before on-call could be reached: paging now would be wrong.
        await service.append_timeline(
            session=session,
            incident_id=incident_id,
            event_type="escalation_skipped",
            actor="system",
            now=now,
            message=f"Escalation not started: incident already {incident.status}",
            dedup_key="escalation:skipped",
        )
        return
    response = await app.state.oncall.post(
        "/internal/v1/escalations", json=payload, idempotency_key=f"escalate:{incident_id}"
    )
    _check(response, "start escalation")
    await service.append_timeline(
        session=session,
        incident_id=incident_id,
        event_type="escalation_started",
        actor="system",
        now=now,
        message=f"Escalation started for team {payload['team']}",
        data={"team": payload["team"]},
        dedup_key="escalation:started",
    )


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


def build_job_queue(max_backoff: float) -> JobQueue:
    return JobQueue(
        SCHEMA,
        {
            START_ESCALATION: start_escalation,
            STOP_ESCALATION: stop_escalation,
        },
        max_backoff=max_backoff,
    )


# ---------------------------------------------------------------- within the request


async def stop_escalation_now(
    app: FastAPI, incident_id: uuid.UUID, *, reason: str, actor: str
) -> bool:
    """Try the stop right away (after the commit); on failure make the queued job due now."""
    payload = {"incident_id": str(incident_id), "reason": reason, "actor": actor}
    key = stop_key(incident_id, reason)
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
        # One statement on the raw pool (its own transaction): the change is committed already.
        async with app.state.db_pool.acquire() as conn:
            if stopped:
                await conn.execute(f"DELETE FROM {SCHEMA}.jobs WHERE dedup_key = $1", key)  # noqa: S608
            else:
                statement = f"UPDATE {SCHEMA}.jobs SET run_at = $2 WHERE dedup_key = $1"  # noqa: S608
                await conn.execute(statement, key, app.state.clock.now())
    except Exception as exc:  # the change is committed; the queued job still covers the stop
        log.warning("could not update the stop job", extra={"error": repr(exc)[:300]})
    app.state.job_queue.wake()
    return stopped


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
        raise ApiError(422, "Invalid cursor: pass alerts_next_cursor from a previous answer")
    if response.status_code != 200:
        raise AlertsUnavailable(f"HTTP {response.status_code}")
    try:
        body = response.json()
        return {"items": list(body["items"]), "next_cursor": body.get("next_cursor")}
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
