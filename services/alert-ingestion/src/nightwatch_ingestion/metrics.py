"""Domain metrics of alert ingestion (names are part of the public contract)."""

from __future__ import annotations

import functools
from collections import Counter as Tally
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from prometheus_client import Counter, Gauge, Histogram

from nightwatch_ingestion.alerts import store

ALERTS_RECEIVED = Counter(
    "alerts_received_total", "Alerts accepted and stored, by severity", ["severity"]
)
ALERTS_CORRELATED = Counter(
    "alerts_correlated_total",
    "Correlation outcome of stored alerts (new_incident, correlated, duplicate)",
    ["result"],
)
ALERT_PROCESSING = Histogram(
    "alert_processing_seconds",
    "Time to accept one POST /api/v1/alerts (a single alert or a whole batch)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

HOT_PATH_BATCH = Histogram(
    "alert_hot_path_batch_size",
    "Single alerts placed and stored per call and statement (concurrent POSTs share them)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)


@functools.cache
def _received(severity: str) -> Any:
    return ALERTS_RECEIVED.labels(severity)  # each label set looked up once: see core metrics


@functools.cache
def _correlated(result: str) -> Any:
    return ALERTS_CORRELATED.labels(result)


def count_received(severities: Iterable[str]) -> None:
    for severity, n in Tally(severities).items():
        _received(severity).inc(n)


_CORRELATION_RESULTS = frozenset({"new_incident", "correlated", "duplicate"})


def count_alerts(results: Iterable[str]) -> None:
    """Correlation outcomes, counted when an alert gets its incident (at once, or later by the
    link worker)."""
    for result, n in Tally(results).items():
        if result in _CORRELATION_RESULTS:  # resolves and acknowledgements are not alerts
            _correlated(result).inc(n)


ALERTS_SUPPRESSED = Counter(
    "alerts_suppressed_total",
    "Alerts stored but held back (no incident, no page), by reason: silence or maintenance",
    ["reason"],
)
SUPPRESSION_REASONS = ("silence", "maintenance")
for _reason in SUPPRESSION_REASONS:  # both series exist from the start (0), so rate() has data
    ALERTS_SUPPRESSED.labels(_reason)
SUPPRESSIONS_ACTIVE = Gauge(
    "suppressions_active",
    "Silences and maintenance windows on right now, by kind (this replica's cache)",
    ["kind"],
)


def count_suppressed(reasons: Iterable[str]) -> None:
    for reason, n in Tally(reasons).items():
        ALERTS_SUPPRESSED.labels(reason).inc(n)


async def refresh_active_suppressions(app: FastAPI) -> None:
    """Scrape hook: how many silences and windows are on (from memory, no query)."""
    silences, windows = app.state.suppression.active_counts(now=app.state.clock.now())
    SUPPRESSIONS_ACTIVE.labels("silence").set(silences)
    SUPPRESSIONS_ACTIVE.labels("maintenance").set(windows)


HEARTBEATS_MISSED = Counter(
    "heartbeats_missed_total", "Heartbeat deadlines missed (each raised an alert)"
)


LINK_BACKLOG = Gauge(
    "alerts_link_backlog",
    "Alerts accepted but not yet on their incident (incident-management was unreachable); "
    "0 when idle (from the database at scrape time)",
)


async def refresh_link_backlog(app: FastAPI) -> None:
    """Scrape hook: counted in the database, so every replica and restart agrees."""
    async with app.state.db_pool.acquire() as conn:
        LINK_BACKLOG.set(await conn.fetchval(store.BACKLOG))


INTEGRATION_EVENTS = Counter(
    "integration_events_total",
    "Events received on the integrations' inbound endpoints, by type and outcome (accepted, "
    "resolved, acknowledged, invalid, unauthorized)",
    ["type", "outcome"],
)


def count_integration_event(integration_type: str, outcome: str, n: int = 1) -> None:
    INTEGRATION_EVENTS.labels(integration_type, outcome).inc(n)
