"""App factory of the alert-ingestion service: `uvicorn --factory nightwatch_ingestion.main:create_app`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.clock import Clock
from nightwatch_core.db import create_raw_pool
from nightwatch_core.http_client import ServiceClient

from nightwatch_ingestion.alerts.coalescing import JoinCoalescer
from nightwatch_ingestion.alerts.intake import post_alerts_lane
from nightwatch_ingestion.alerts.router import router as alerts_router
from nightwatch_ingestion.alerts.workers import attach_worker, link_worker
from nightwatch_ingestion.settings import IngestionSettings


def create_app(settings: IngestionSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or IngestionSettings()

    async def start_clients(app: FastAPI) -> None:
        app.state.link_wake = asyncio.Event()
        app.state.attach_wake = asyncio.Event()
        # Workers retry (Idempotency-Key makes that safe); the request path tries once, briefly.
        app.state.incident_client = ServiceClient.from_settings(
            settings.incident_management_url, settings
        )
        app.state.inline_incident_client = ServiceClient(
            settings.incident_management_url,
            timeout=settings.incident_create_timeout_seconds,
            connect_timeout=min(settings.incident_create_timeout_seconds, 1.0),
            retries=0,
        )

        # The one-statement hot path runs on its own small asyncpg pool (alerts/fast_path.py).
        app.state.db_pool = await create_raw_pool(settings)
        app.state.join_coalescer = JoinCoalescer(
            app.state.db_pool,
            now=app.state.clock.now,
            window=timedelta(seconds=settings.correlation_window_seconds),
            acquire_timeout=settings.db_connect_timeout_seconds,
            max_batch=settings.coalesce_max_batch,
            max_inflight=settings.coalesce_max_inflight,
        )

    async def stop_clients(app: FastAPI) -> None:
        await app.state.db_pool.close()
        await app.state.incident_client.aclose()
        await app.state.inline_incident_client.aclose()

    return create_service_app(
        title="Nightwatch alert ingestion",
        description="Receives alerts, deduplicates by fingerprint and correlates them into incidents.",
        settings=settings,
        routers=[alerts_router],
        on_startup=[start_clients],
        on_shutdown=[stop_clients],
        workers=[link_worker, attach_worker] if settings.workers_enabled else [],
        fast_lanes={("POST", "/api/v1/alerts"): post_alerts_lane},
        clock=clock,
    )
