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
    "Alerts stored but held back (no incident, no page), by reason: silence, maintenance or "
    "routing (a routing rule that suppresses)",
    ["reason"],
)
SUPPRESSION_REASONS = ("silence", "maintenance", "routing")
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


ALERTS_ROUTED = Counter(
    "alerts_routed_total",
    "Alerts given a team, by what decided it: a routing rule's name, labels.team, integration "
    "or catch-all",
    ["rule"],
)
ALERTS_UNROUTED = Counter(
    "alerts_unrouted_total",
    "Alerts no label, routing rule, integration or catch-all gave a team: their incident has the "
    "team 'unrouted' and pages nobody (listed: GET /api/v1/alerts?unrouted=true)",
)
ROUTING_CATCH_ALL_VALID = Gauge(
    "routing_catch_all_valid",
    "1: the catch-all team is set and on-call knows it; 0: unset or unknown to on-call (alerts "
    "no rule routes are unrouted); -1: on-call could not be asked (this replica's cache)",
)
ROUTING_RULES = Gauge("routing_rules", "Routing rules loaded (this replica's cache)")


def count_routed(alerts: Iterable[Any]) -> None:
    """Routing decided on this request, triggers only (a resolve is no new alert to route)."""
    routed: Tally[str] = Tally()
    unrouted = 0
    for alert in alerts:
        if alert.event != "trigger":
            continue
        if alert.routed_by is not None:
            routed[alert.routed_by] += 1
        elif alert.unrouted:
            unrouted += 1
    for rule, n in routed.items():
        ALERTS_ROUTED.labels(rule).inc(n)
    if unrouted:
        ALERTS_UNROUTED.inc(unrouted)


async def refresh_routing(app: FastAPI) -> None:
    """Scrape hook: the cache's state (from memory, no query)."""
    cache = app.state.routing
    ROUTING_RULES.set(len(cache.table.rules))
    valid = {True: 1, False: 0, None: -1}[cache.catch_all_exists]
    ROUTING_CATCH_ALL_VALID.set(valid if cache.catch_all_team is not None else 0)


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
