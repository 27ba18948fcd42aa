"""``POST /internal/v1/alert-batches``: alert ingestion asks which incident each alert joins."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import APIRouter, FastAPI, Request
from nightwatch_contracts.alert_placement import AlertBatchIn, AlertBatchOut
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.polling import PollingWorker
from sqlalchemy.exc import DBAPIError

from nightwatch_incidents.correlation import service
from nightwatch_incidents.incidents import flows, stopping
from nightwatch_incidents.metrics import INCIDENTS_CREATED, observe_transition

log = logging.getLogger("nightwatch.incidents.correlation")

router = APIRouter(prefix="/internal/v1", tags=["internal"])

# Deadlock / serialization failure: nothing was written, the batch is simply run again.
_RETRYABLE = frozenset({"40P01", "40001"})
_ATTEMPTS = 3
PRUNE_EVERY_SECONDS = 600.0


@router.post(
    "/alert-batches",
    responses={409: {"description": "The batch id was used before for other alerts"}},
)
async def correlate_alerts(
    body: AlertBatchIn, request: Request, session: SessionDep, clock: ClockDep
) -> AlertBatchOut:
    """Place each alert in its incident (opening incidents, which start paging) in one
    transaction; the same ``batch_id`` again answers the same."""
    app = request.app
    window = timedelta(seconds=app.state.settings.correlation_window_seconds)
    for attempt in range(_ATTEMPTS):
        try:
            outcome = await service.correlate(
                session=session,
                batch_id=body.batch_id,
                alerts=body.alerts,
                now=clock.now(),
                window=window,
            )
            if outcome.opened:
                await flows.queue_escalation_starts(session, app, outcome.opened)
            for change in outcome.transitions:  # a source acknowledged or resolved
                await stopping.queue_escalation_stop(
                    session, app, change.incident, reason=change.status.value, actor=change.actor
                )
            await session.commit()
            break
        except service.AnswerRace:
            await session.rollback()
            replay = await service.stored_answer(
                session=session, batch_id=body.batch_id, alerts=body.alerts
            )
            assert replay is not None  # the conflicting answer is committed
            outcome = replay
            break
        except DBAPIError as exc:
            await session.rollback()
            sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
            if sqlstate not in _RETRYABLE or attempt == _ATTEMPTS - 1:
                raise
    for incident in outcome.opened:
        INCIDENTS_CREATED.labels(incident.severity).inc()
    for change in outcome.transitions:
        observe_transition(change.incident, change.status)
    # Together, so the batch's stops share one call to on-call (stopping.py's coalescer).
    await asyncio.gather(
        *(
            stopping.stop_escalation_now(
                app, change.incident.id, reason=change.status.value, actor=change.actor
            )
            for change in outcome.transitions
        )
    )
    if outcome.opened:
        app.state.job_queue.wake()
    return AlertBatchOut(batch_id=body.batch_id, results=outcome.results, replayed=outcome.replayed)


class AnswerPruner(PollingWorker):
    """Forgets batch answers past their retention, every PRUNE_EVERY_SECONDS (on every replica:
    a delete by age is safe to run twice)."""

    async def run_due(self, app: FastAPI) -> int:
        retention = timedelta(hours=app.state.settings.alert_batch_answers_retention_hours)
        async with app.state.sessionmaker() as session:
            pruned = await service.prune_answers(
                session=session, before=app.state.clock.now() - retention
            )
            await session.commit()
        if pruned:
            log.info("pruned %d alert batch answers", pruned)
        return pruned


async def prune_worker(app: FastAPI) -> None:
    # batch_size 1: after a prune that found answers, one more look at once, then the timer.
    await AnswerPruner(batch_size=1, poll_interval=PRUNE_EVERY_SECONDS).worker(app)
