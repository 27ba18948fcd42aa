"""Side effects of escalations, run by background workers on every replica:

- the **step worker** takes due escalations (``SELECT … FOR UPDATE SKIP LOCKED``), runs the step in
  the same transaction and commits: one replica per step, nothing lost on a restart;
- the **job queue** (``nightwatch_core.jobs``, table ``oncall.jobs``) sends each queued page to the
  notification service and each timeline entry to incident-management, retrying with backoff while
  they are down. A page is sent holding a share lock on its escalation row, so a stop (which
  takes the row's update lock) waits for a page in flight and no page goes out after a stop.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from nightwatch_core.app_factory import Worker
from nightwatch_core.http_client import ServiceClient
from nightwatch_core.jobs import JobQueue, PermanentJobError, enqueue
from nightwatch_core.polling import PollingWorker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.escalation import service
from nightwatch_oncall.escalation.metrics import ESCALATIONS, ONCALL_NOTIFICATIONS_SENT
from nightwatch_oncall.escalation.steps import (
    JOB_SCHEMA,
    PAGE_JOB,
    TIMELINE_JOB,
    StepResult,
    new_event,
    queue_timeline,
    run_step,
)
from nightwatch_oncall.escalation.targets import MOCK_CHANNEL

log = logging.getLogger("nightwatch.escalation")

STEP_BATCH = 20
STEP_RETRY = timedelta(seconds=30)
PAGE_SENDERS = 2


@dataclass
class EscalationRuntime:
    """Per-app clients, job queue and wake-up event (on ``app.state.escalation``)."""

    notification: ServiceClient
    incidents: ServiceClient
    pages: JobQueue
    timeline: JobQueue
    steps: StepWorker

    def wake(self) -> None:
        """Run the step worker and the job queues now (call after committing a change)."""
        self.steps.wake()
        self.wake_senders()

    def wake_senders(self) -> None:
        self.pages.wake()
        self.timeline.wake()

    async def aclose(self) -> None:
        await self.notification.aclose()
        await self.incidents.aclose()


def runtime(app: FastAPI) -> EscalationRuntime:
    return app.state.escalation  # type: ignore[no-any-return]


async def start_runtime(app: FastAPI) -> None:
    settings = app.state.settings
    poll = float(getattr(settings, "escalation_poll_seconds", 0.2))

    def client(base_url: str) -> ServiceClient:
        # No client-side retries: the job queue retries durably, and a page in flight holds a row
        # lock that a stop waits for, so each attempt must be short.
        return ServiceClient(
            base_url,
            timeout=settings.http_timeout_seconds,
            connect_timeout=settings.http_connect_timeout_seconds,
            retries=0,
        )

    app.state.escalation = EscalationRuntime(
        notification=client(settings.notification_url),
        incidents=client(settings.incident_management_url),
        # Pages have their own queue, so timeline entries can never delay a page. One page per
        # transaction: its escalation's row lock is held for one HTTP call only.
        pages=JobQueue(
            JOB_SCHEMA,
            {PAGE_JOB: send_page},
            kinds={PAGE_JOB},
            batch_size=1,
            poll_interval=poll,
            max_backoff=30.0,
        ),
        timeline=JobQueue(
            JOB_SCHEMA,
            {TIMELINE_JOB: post_timeline},
            kinds={TIMELINE_JOB},
            batch_size=10,
            poll_interval=poll,
            max_backoff=60.0,
            # Best effort but durable: about an hour of retries, then kept as a dead job.
            max_attempts=60,
        ),
        steps=StepWorker(batch_size=STEP_BATCH, poll_interval=poll),
    )


async def stop_runtime(app: FastAPI) -> None:
    await runtime(app).aclose()


async def run_due_steps(app: FastAPI) -> int:
    """Run every due escalation step (one batch); return how many ran.

    The batch runs in one savepoint and is written with one flush (few round trips per step). If
    anything in it fails, it runs again one step per savepoint, and a step that still fails is
    postponed by STEP_RETRY so it cannot block the others."""
    now = app.state.clock.now()
    lookups: dict[str, Any] = {}  # one on-call lookup per target per batch (an alert storm)
    async with app.state.sessionmaker() as session, session.begin():
        due = await service.claim_due(session=session, now=now, limit=STEP_BATCH)
        if not due:
            return 0
        incident_ids = [escalation.incident_id for escalation in due]
        try:
            # No autoflush: every page, event and timer of the batch goes out in one flush.
            async with session.begin_nested():
                with session.no_autoflush:
                    results = [
                        await run_step(
                            session=session,
                            escalation=escalation,
                            now=now,
                            lookup_cache=lookups,
                            flush=False,
                        )
                        for escalation in due
                    ]
                await session.flush()
        except Exception:
            log.warning("a step of the batch failed; running them one by one", exc_info=True)
            results = await _steps_one_by_one(session, incident_ids, now=now)
    for result in results:
        if result.escalated:
            ESCALATIONS.labels(result.team).inc()
    if results:
        runtime(app).wake_senders()
    return len(results)


async def _steps_one_by_one(
    session: AsyncSession, incident_ids: list[uuid.UUID], *, now: datetime
) -> list[StepResult]:
    results = []
    for incident_id in incident_ids:
        try:
            async with session.begin_nested():
                escalation = await service.get_escalation(session=session, incident_id=incident_id)
                assert escalation is not None
                results.append(await run_step(session=session, escalation=escalation, now=now))
        except Exception:
            log.exception("escalation step failed", extra={"incident_id": str(incident_id)})
            await service.postpone(session=session, incident_id=incident_id, until=now + STEP_RETRY)
    return results


class StepWorker(PollingWorker):
    """Advances due escalations for the app's whole life, on every replica (SKIP LOCKED shares)."""

    async def run_due(self, app: FastAPI) -> int:
        return await run_due_steps(app)


async def step_worker(app: FastAPI) -> None:
    await runtime(app).steps.worker(app)


async def page_worker(app: FastAPI) -> None:
    await runtime(app).pages.worker(app)


async def timeline_worker(app: FastAPI) -> None:
    await runtime(app).timeline.worker(app)


def _worth_retrying(status: int) -> bool:
    # 404 too: during a rolling deploy the neighbour's route may not exist yet.
    return status >= 500 or status in (404, 408, 425, 429)


def _error_text(response: Any) -> str:
    try:
        body = response.json()
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
    except ValueError:
        message = None
    return f"HTTP {response.status_code}: {message or response.text[:300]}"


async def send_page(*, app: FastAPI, session: AsyncSession, payload: dict[str, Any]) -> None:
    """Job: send one page. Skipped once the escalation is stopped; retried while notification is
    down; a page notification refuses (4xx) is recorded as failed, with the reason."""
    key = payload["idempotency_key"]
    incident_id = uuid.UUID(payload["incident_id"])
    row = (
        await session.execute(
            text(
                "SELECT p.id, p.status AS page_status, e.status AS escalation_status "
                "FROM oncall.escalation_pages p JOIN oncall.escalations e USING (incident_id) "
                "WHERE p.idempotency_key = :key FOR SHARE OF e"
            ),
            {"key": key},
        )
    ).one_or_none()
    if row is None or row.page_status != "queued" or row.escalation_status == "stopped":
        return
    body = {name: payload[name] for name in ("recipient", "channel", "subject", "message")}
    body |= {"incident_id": payload["incident_id"], "idempotency_key": key}
    response = await runtime(app).notification.post(
        "/api/v1/notify", json=body, idempotency_key=key
    )
    now = app.state.clock.now()
    if response.is_success:
        notification = response.json() if response.content else {}
        notification_id = notification.get("id") if isinstance(notification, dict) else None
        await session.execute(
            text(
                "UPDATE oncall.escalation_pages SET status = 'sent', sent_at = :now, "
                "notification_id = :nid, last_error = NULL WHERE id = :id"
            ),
            {"now": now, "nid": str(notification_id) if notification_id else None, "id": row.id},
        )
        ONCALL_NOTIFICATIONS_SENT.labels(payload["channel"]).inc()
        await queue_timeline(
            session,
            incident_id=incident_id,
            event_type="notification_sent",
            message=f"Paged {payload['user_name']} via {payload['channel']}",
            dedup_key=f"{key}:sent",
            now=now,
            data={
                "recipient": payload["recipient"],
                "channel": payload["channel"],
                "notification_id": notification_id,
            },
        )
        return
    if _worth_retrying(response.status_code):
        raise RuntimeError(f"notification service: {_error_text(response)}")
    error = _error_text(response)
    await session.execute(
        text(
            "UPDATE oncall.escalation_pages SET status = 'failed', last_error = :error WHERE id = :id"
        ),
        {"error": error, "id": row.id},
    )
    escalation = await service.get_escalation(session=session, incident_id=incident_id)
    assert escalation is not None
    message = f"Could not page {payload['user_name']} via {payload['channel']}: {error}"
    if payload["channel"] != MOCK_CHANNEL:
        # An unconfigured or refusing channel must not make the person vanish from the page:
        # page them through mock too, so the page is recorded and visible in the notifications.
        await _fall_back_to_mock(session, page_id=row.id, payload=payload, now=now)
        message += "; paged through the mock channel instead"
    session.add(new_event(escalation, now, "page_failed", message, data={"key": key}))
    await queue_timeline(
        session,
        incident_id=incident_id,
        event_type="notification_failed",
        message=message,
        dedup_key=f"{key}:failed",
        now=now,
    )


async def _fall_back_to_mock(
    session: AsyncSession, *, page_id: int, payload: dict[str, Any], now: datetime
) -> None:
    key = f"{payload['idempotency_key']}:mock"
    await session.execute(
        text(
            "INSERT INTO oncall.escalation_pages (incident_id, step, level, round, user_id, "
            "user_name, channel, recipient, idempotency_key, status, created_at) "
            "SELECT incident_id, step, level, round, user_id, user_name, :channel, recipient, "
            ":key, 'queued', :now FROM oncall.escalation_pages WHERE id = :id "
            "ON CONFLICT (idempotency_key) DO NOTHING"
        ),
        {"channel": MOCK_CHANNEL, "key": key, "now": now, "id": page_id},
    )
    await enqueue(
        session,
        schema=JOB_SCHEMA,
        kind=PAGE_JOB,
        payload=payload | {"channel": MOCK_CHANNEL, "idempotency_key": key},
        run_at=now,
        dedup_key=key,
    )


async def post_timeline(*, app: FastAPI, session: AsyncSession, payload: dict[str, Any]) -> None:
    """Job: add an entry to the incident's timeline (incident-management dedups on dedup_key)."""
    incident_id = payload["incident_id"]
    body = {name: payload[name] for name in ("event_type", "actor", "message", "data", "dedup_key")}
    response = await runtime(app).incidents.post(
        f"/internal/v1/incidents/{incident_id}/timeline",
        json=body,
        idempotency_key=payload["dedup_key"],
    )
    if response.is_success:
        return
    if _worth_retrying(response.status_code):
        raise RuntimeError(f"incident-management: {_error_text(response)}")
    raise PermanentJobError(f"incident-management refused the entry: {_error_text(response)}")


def workers_for(settings: Any) -> list[Worker]:
    """The escalation workers a replica runs (none when ESCALATION_WORKERS_ENABLED=false)."""
    if not getattr(settings, "escalation_workers_enabled", True):
        return []
    # A few page senders per replica: each holds one escalation's share lock for one HTTP call.
    return [step_worker, *[page_worker] * PAGE_SENDERS, timeline_worker]
