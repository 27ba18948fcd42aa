"""Prometheus metrics: HTTP request count and latency for every service, plus ``/metrics``.

Metric objects live at module level (the prometheus_client way); each service declares its domain
metrics in its own ``metrics.py`` next to its code.

A service whose gauges are derived from the database (so they are right across restarts and
replicas) passes ``scrape_hooks``: async functions run before each exposition, each bounded by a
timeout; a failing or slow hook is logged and the scrape still answers with the last values.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

log = logging.getLogger("nightwatch.metrics")

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests handled, by route template and status",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency, by route template",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

UNMATCHED_ROUTE = "<unmatched>"

# Runs before each scrape, e.g. to set a gauge from a COUNT(*) in the service's own schema.
ScrapeHook = Callable[[FastAPI], Awaitable[None]]


@functools.cache
def _request_series(service: str, method: str, route: str, status: int) -> tuple[Any, Any]:
    # labels() validates and locks on every call: on the alert hot path that was a few percent of
    # the CPU per request. The children are stable, so each label set is looked up once. The
    # label sets are bounded (route templates, never raw paths; httptools only parses known
    # methods).
    labels = (service, method, route, str(status))
    return HTTP_REQUESTS.labels(*labels), HTTP_LATENCY.labels(*labels)


def observe_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    requests, latency = _request_series(service, method, route, status)
    requests.inc()
    latency.observe(seconds)


async def run_scrape_hooks(app: FastAPI, hooks: Sequence[ScrapeHook], seconds: float) -> None:
    for hook in hooks:
        try:
            async with asyncio.timeout(seconds):
                await hook(app)
        except Exception as exc:
            # A scrape must never fail because the database is slow: serve the last values.
            log.warning(
                "metrics scrape hook failed",
                extra={"hook": getattr(hook, "__name__", repr(hook)), "error": repr(exc)[:300]},
            )


def configure_metrics(
    app: FastAPI, *, scrape_hooks: Sequence[ScrapeHook] = (), hook_timeout: float = 2.0
) -> None:
    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        await run_scrape_hooks(app, scrape_hooks, hook_timeout)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
