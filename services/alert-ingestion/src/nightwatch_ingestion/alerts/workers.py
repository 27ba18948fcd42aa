"""The link worker: alerts accepted while incident-management could not be reached get placed.

Their rows in ``ingestion.link_queue`` are the outbox. Each batch is sent again exactly as it was
first sent (same batch id, same alerts): if the first call did commit and only its answer was
lost, incident-management replays that answer instead of counting the alerts twice. One replica
sends at a time (a transaction-level advisory lock). While incident-management is unavailable
(unreachable, timing out, 502/503/504) the worker retries one batch at most
``LINK_RETRY_MAX_SECONDS`` apart, and the first answer after the outage makes the whole backlog
due at once: it is linked within seconds of the recovery (issue #12). A batch that fails alone
(a 500) backs off up to ``WORKER_MAX_BACKOFF_SECONDS`` while the others go on; one refused for
good (4xx) is kept, marked dead with the reason, never deleted.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from typing import Any

import orjson
from fastapi import FastAPI
from nightwatch_core.backoff import Backoff
from nightwatch_core.polling import PollingWorker, RetryLater

from nightwatch_ingestion.alerts import placement, store
from nightwatch_ingestion.alerts.flows import settings_of
from nightwatch_ingestion.alerts.placement import IncidentCallFailed, Placed, Prepared
from nightwatch_ingestion.metrics import count_alerts
from nightwatch_ingestion.settings import IngestionSettings

log = logging.getLogger("nightwatch.ingestion.workers")

# Batches claimed per round (each is at most one call's worth of alerts), and sent at once.
LINK_BATCHES = 20
LINK_CONCURRENCY = 8


def prepared_from_row(row: Any) -> Prepared:
    return Prepared(
        alert_id=row["id"],
        service=row["service"],
        severity=row["severity"],
        fingerprint=row["fingerprint"],
        message=row["message"],
        labels=orjson.loads(row["labels"]),
        labels_json=row["labels"],
        timestamp=row["alert_timestamp"],
        team=row["team"],
        received_at=row["received_at"],
        source=row["source"],
        integration_id=row["integration_id"],
        event=row["event"],
        # The integration as it is now (deleted: the generic actor, auto-resolving).
        actor=row["actor"],
        auto_resolve=row["auto_resolve"],
        details_json=row["details"],
    )


async def link_once(app: FastAPI, *, recovering: bool = False) -> tuple[int, bool]:
    """Send due batches. Returns (alerts handled, incident-management unreachable).

    ``recovering``: the previous round found incident-management unreachable. The first batch
    goes alone, as a probe; if it is answered, every batch pushed back by the retry backoff
    during the outage is due again at once and the rest go ``LINK_CONCURRENCY`` calls at a time:
    the backlog is linked within seconds of the recovery, not when each backoff runs out.
    """
    handled = 0
    unavailable = False
    async with app.state.db_pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(store.LINK_LOCK):
            return 0, False  # another replica is sending right now
        now = app.state.clock.now()
        rows = await conn.fetch(store.CLAIM_DUE, now, LINK_BATCHES)
        batches: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in rows:
            batches[row["batch_id"]].append(row)
        pending = list(batches.items())
        size = 1 if recovering else LINK_CONCURRENCY
        while pending and not unavailable:
            group, pending = pending[:size], pending[size:]
            size = LINK_CONCURRENCY
            outcomes = await asyncio.gather(*(_place(app, b, rows) for b, rows in group))
            for (batch_id, batch), outcome in zip(group, outcomes, strict=True):
                if isinstance(outcome, IncidentCallFailed):
                    unavailable |= outcome.unavailable
                    handled += await _failed(app, conn, batch_id, batch, outcome)
                    continue
                if recovering:
                    recovering = False
                    await conn.execute(store.RELEASE_DEFERRED, now)
                ids = list(outcome)
                await conn.execute(
                    store.LINK,
                    ids,
                    [outcome[i].incident_id for i in ids],
                    [outcome[i].result.value for i in ids],
                    app.state.clock.now(),
                )
                await store.mark_resolved(
                    conn, alerts=[prepared_from_row(row) for row in batch], placed=outcome
                )
                count_alerts(outcome[i].result.value for i in ids)
                handled += len(batch)
    if handled:  # committed: the pending alerts now name their incidents
        app.state.change_signal.signal()
    return handled, unavailable


async def _place(
    app: FastAPI, batch_id: uuid.UUID, batch: list[Any]
) -> dict[uuid.UUID, Placed] | IncidentCallFailed:
    alerts = [prepared_from_row(row) for row in batch]
    try:
        return await placement.place(app.state.incident_client, batch_id=batch_id, alerts=alerts)
    except IncidentCallFailed as exc:
        return exc


async def _failed(
    app: FastAPI, conn: Any, batch_id: uuid.UUID, batch: list[Any], exc: IncidentCallFailed
) -> int:
    """Bury a batch refused for good (its alerts count as handled), else retry it later."""
    settings = settings_of(app)
    now = app.state.clock.now()
    if exc.permanent:
        log.error("incident-management refused batch %s for good: %s", batch_id, exc)
        await conn.execute(store.BURY, batch_id, now, str(exc)[:2000])
        return len(batch)
    # Unavailable: retried soon (the outage may end any second). A failure of this batch alone:
    # backed off further, while the round goes on with the others.
    cap = (
        settings.link_retry_max_seconds if exc.unavailable else settings.worker_max_backoff_seconds
    )
    due = now + Backoff(1.0, cap).delay(batch[0]["attempts"] + 1)
    await conn.execute(store.RESCHEDULE, batch_id, due, str(exc)[:2000])
    log.warning("could not place batch %s: %s", batch_id, exc)
    return 0


class LinkWorker(PollingWorker):
    """Runs link rounds while there is work, else on a wake-up or the poll interval. While
    incident-management is unreachable (or the database fails) it retries one small round at most
    ``LINK_RETRY_MAX_SECONDS`` apart, deaf to wake-ups: they would only hammer a neighbour that is
    down, and a recovery is still noticed within that bound."""

    def __init__(self, settings: IngestionSettings) -> None:
        super().__init__(
            batch_size=1,  # any handled alert: look again at once
            poll_interval=settings.worker_poll_seconds,
            retry=Backoff(0.5, settings.link_retry_max_seconds),
        )

    async def run_due(self, app: FastAPI) -> int:
        handled, unreachable = await link_once(app, recovering=self.failures > 0)
        if unreachable:
            raise RetryLater("incident-management is unreachable")
        return handled


async def link_worker(app: FastAPI) -> None:
    await app.state.link_worker.worker(app)
