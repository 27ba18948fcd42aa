"""The link worker: alerts accepted while incident-management could not be reached get placed.

Their rows in ``ingestion.link_queue`` are the outbox. Each batch is sent again exactly as it was
first sent (same batch id, same alerts): if the first call did commit and only its answer was
lost, incident-management replays that answer instead of counting the alerts twice. One replica
sends at a time (a transaction-level advisory lock); while incident-management is unreachable
the worker backs off (capped) and retries; a batch it refuses for good (4xx) is kept, marked dead
with the reason, never deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import orjson
from fastapi import FastAPI

from nightwatch_ingestion.alerts import placement, store
from nightwatch_ingestion.alerts.flows import settings_of
from nightwatch_ingestion.alerts.placement import IncidentCallFailed, Prepared
from nightwatch_ingestion.metrics import count_alerts

log = logging.getLogger("nightwatch.ingestion.workers")

# Batches claimed per round (each is at most one call's worth of alerts).
LINK_BATCHES = 20


def backoff(attempts: int, cap: float) -> timedelta:
    return timedelta(seconds=min(cap, 2 ** max(0, attempts - 1)))


def _prepared(row: Any) -> Prepared:
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


async def link_once(app: FastAPI) -> tuple[int, bool]:
    """Send due batches. Returns (alerts handled, incident-management unreachable)."""
    settings = settings_of(app)
    handled = 0
    async with app.state.db_pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(store.LINK_LOCK):
            return 0, False  # another replica is sending right now
        rows = await conn.fetch(store.CLAIM_DUE, app.state.clock.now(), LINK_BATCHES)
        batches: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in rows:
            batches[row["batch_id"]].append(row)
        for batch_id, batch in batches.items():
            alerts = [_prepared(row) for row in batch]
            try:
                placed = await placement.place(
                    app.state.incident_client, batch_id=batch_id, alerts=alerts
                )
            except IncidentCallFailed as exc:
                now = app.state.clock.now()
                if exc.permanent:
                    log.error("incident-management refused batch %s for good: %s", batch_id, exc)
                    await conn.execute(store.BURY, batch_id, now, str(exc)[:2000])
                    handled += len(alerts)
                    continue
                attempts = batch[0]["attempts"] + 1
                due = now + backoff(attempts, settings.worker_max_backoff_seconds)
                await conn.execute(store.RESCHEDULE, batch_id, due, str(exc)[:2000])
                log.warning("could not place batch %s: %s", batch_id, exc)
                return handled, True  # the neighbour is likely down: the rest waits
            ids = [a.alert_id for a in alerts]
            await conn.execute(
                store.LINK,
                ids,
                [placed[i].incident_id for i in ids],
                [placed[i].result.value for i in ids],
                app.state.clock.now(),
            )
            await store.mark_resolved(conn, alerts=alerts, placed=placed)
            count_alerts(placed[i].result.value for i in ids)
            handled += len(alerts)
    return handled, False


async def link_worker(app: FastAPI) -> None:
    """Run rounds while there is work, else on a wake-up or the poll interval; back off (capped)
    while incident-management is unreachable or the database fails."""
    settings = settings_of(app)
    wake: asyncio.Event = app.state.link_wake
    failures = 0
    while True:
        try:
            handled, unreachable = await link_once(app)
        except Exception:
            log.exception("link round failed")  # e.g. the database is down: retry later
            handled, unreachable = 0, True
        failures = failures + 1 if unreachable else 0
        if failures:
            # Wake-ups would only hammer a neighbour that is down.
            await asyncio.sleep(min(settings.worker_max_backoff_seconds, 0.5 * 2 ** (failures - 1)))
            continue
        if handled:
            continue
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=settings.worker_poll_seconds)
