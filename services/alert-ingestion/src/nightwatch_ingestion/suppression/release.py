"""When a silence or maintenance window is over (or a routing rule stops suppressing), the alerts
it held that still fire open their incident: the release worker sends each held fingerprint's latest alert on, as a new alert.

``ingestion.held_alerts`` has one row per fingerprint held back (written with the suppressed
alert; a resolve from the source deletes it). Each round a replica locks the rows (``FOR UPDATE
SKIP LOCKED``: replicas share them), asks its in-memory cache whether each is still held — by
the same silence or window, or another — and sends the others through the normal path
(``flows.accept_prepared``) before deleting their rows, in the same transaction: a crash before
the commit sends them again, and the same fingerprint then joins the incident it opened.
"""

from __future__ import annotations

import dataclasses
import logging

from fastapi import FastAPI
from nightwatch_core.ids import uuid7
from nightwatch_core.polling import PollingWorker
from prometheus_client import Counter

from nightwatch_ingestion.alerts import flows
from nightwatch_ingestion.alerts.placement import Prepared
from nightwatch_ingestion.alerts.workers import prepared_from_row

log = logging.getLogger("nightwatch.ingestion.suppression")

ALERTS_RELEASED = Counter(
    "alerts_released_total",
    "Held-back alerts still firing when their silence or maintenance window ended, sent on",
)

# Every held fingerprint is looked at each round (held ones stay): a generous bound per round.
SCAN_LIMIT = 1000

CLAIM_HELD = """
    SELECT a.id, a.service, a.severity, a.fingerprint, a.message,
           a.labels::text AS labels, a.team, a.received_at, a.alert_timestamp, a.source,
           a.integration_id, a.event, a.details::text AS details,
           'integration:' || i.name AS actor, coalesce(i.auto_resolve, true) AS auto_resolve
    FROM ingestion.held_alerts h
    JOIN ingestion.alerts a ON a.id = h.alert_id
    LEFT JOIN ingestion.integrations i ON i.id = a.integration_id
    ORDER BY h.held_at LIMIT $1
    FOR UPDATE OF h SKIP LOCKED
"""
FORGET = "DELETE FROM ingestion.held_alerts WHERE fingerprint = ANY($1::text[])"


def _routed_away(app: FastAPI, alert: Prepared) -> bool:
    """A routing rule (still) suppresses it: held until the rule changes."""
    decision = app.state.routing.table.route(
        service=alert.service, severity=alert.severity, labels=alert.labels
    )
    return decision.suppressed_by is not None


class ReleaseWorker(PollingWorker):
    """Sends on the held alerts whose silence or window is over (every replica runs one)."""

    async def run_due(self, app: FastAPI) -> int:
        now = app.state.clock.now()
        cache = app.state.suppression
        async with app.state.db_pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM_HELD, SCAN_LIMIT)
            again = [
                dataclasses.replace(prepared_from_row(row), alert_id=uuid7(), received_at=now)
                for row in rows
            ]
            released = [
                alert
                for alert in again
                if cache.check(alert, now=now) is None and not _routed_away(app, alert)
            ]
            if not released:
                return 0
            await flows.accept_prepared(app=app, prepared=released)
            await conn.execute(FORGET, [alert.fingerprint for alert in released])
        ALERTS_RELEASED.inc(len(released))
        log.info("sent on %d alerts whose silence or maintenance window ended", len(released))
        return len(released)


async def release_worker(app: FastAPI) -> None:
    await app.state.release_worker.worker(app)
