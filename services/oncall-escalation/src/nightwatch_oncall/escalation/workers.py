"""Side effects of escalations, run by background workers on every replica:

- the **step worker** takes due escalations (``SELECT … FOR UPDATE SKIP LOCKED``), runs the step in
  the same transaction and commits: one replica per step, nothing lost on a restart;
- the **job queues** (``nightwatch_core.jobs``, table ``oncall.jobs``) send the queued pages to the
  notification service and the timeline entries to incident-management, a batch per call
  (``senders.py``), retrying with backoff while they are down. Pages are sent holding a share lock
  on their escalation rows, so a stop (which takes the row's update lock) waits for the pages in
  flight and no page goes out after a stop.
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
from nightwatch_core.jobs import JobQueue
from nightwatch_core.polling import PollingWorker
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.escalation import service
from nightwatch_oncall.escalation.metrics import ESCALATIONS
from nightwatch_oncall.escalation.senders import post_timelines, send_pages
from nightwatch_oncall.escalation.steps import (
    JOB_SCHEMA,
    PAGE_JOB,
    TIMELINE_JOB,
    StepResult,
    run_step,
    run_steps,
)
from nightwatch_oncall.notification_rules.contact_test import CONTACT_TEST_JOB, send_test

log = logging.getLogger("nightwatch.escalation")

STEP_BATCH = 20
STEP_RETRY = timedelta(seconds=30)
PAGE_SENDERS = 2
# Items per call to a neighbour: a storm costs one call per this many pages / entries.
PAGE_BATCH = 100
TIMELINE_BATCH = 200
# Timeline entries are history, not paging: within a second is soon enough.
TIMELINE_POLL_SECONDS = 1.0


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
        # Pages only: the timeline queue runs on its own, slower poll, so in a storm each call
        # to incident-management carries the entries of many page batches.
        self.pages.wake()

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
            credential=app.state.service_credential,
        )

    app.state.escalation = EscalationRuntime(
        notification=client(settings.notification_url),
        incidents=client(settings.incident_management_url),
        # Pages have their own queue, so timeline entries can never delay a page. The pages claimed
        # together go out in one call; their escalations' row locks are held for that call only.
        pages=JobQueue(
            JOB_SCHEMA,
            # A person's test notification is a page too (they are waiting for it).
            {CONTACT_TEST_JOB: send_test},
            batch_handlers={PAGE_JOB: send_pages},
            kinds={PAGE_JOB, CONTACT_TEST_JOB},
            batch_size=PAGE_BATCH,
            poll_interval=poll,
            max_backoff=30.0,
        ),
        timeline=JobQueue(
            JOB_SCHEMA,
            {},
            batch_handlers={TIMELINE_JOB: post_timelines},
            kinds={TIMELINE_JOB},
            batch_size=TIMELINE_BATCH,
            poll_interval=max(poll, TIMELINE_POLL_SECONDS),
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
    async with app.state.sessionmaker() as session, session.begin():
        due = await service.claim_due(session=session, now=now, limit=STEP_BATCH)
        if not due:
            return 0
        incident_ids = [escalation.incident_id for escalation in due]
        try:
            async with session.begin_nested():
                results = await run_steps(session=session, escalations=due, now=now)
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


def workers_for(settings: Any) -> list[Worker]:
    """The escalation workers a replica runs (none when ESCALATION_WORKERS_ENABLED=false)."""
    if not getattr(settings, "escalation_workers_enabled", True):
        return []
    # Two page senders per replica: a slow batch call does not hold up the next batch of pages.
    return [step_worker, *[page_worker] * PAGE_SENDERS, timeline_worker]
