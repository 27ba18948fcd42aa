"""App factory of the alert-ingestion service: `uvicorn --factory nightwatch_ingestion.main:create_app`."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.change_signal import ChangeSignal
from nightwatch_core.clock import Clock
from nightwatch_core.coalescing import Coalescer
from nightwatch_core.db import create_raw_pool
from nightwatch_core.http_client import ServiceClient
from nightwatch_core.retention import RetentionWorker

from nightwatch_ingestion.alerts.flows import Held, place_and_store, store_held
from nightwatch_ingestion.alerts.intake import POST_ALERTS_LANE
from nightwatch_ingestion.alerts.placement import MAX_CALL_BYTES, Placed, Prepared
from nightwatch_ingestion.alerts.router import router as alerts_router
from nightwatch_ingestion.alerts.stats_router import router as alert_stats_router
from nightwatch_ingestion.alerts.workers import LinkWorker, link_worker
from nightwatch_ingestion.heartbeats.flows import HeartbeatWorker, heartbeat_worker
from nightwatch_ingestion.heartbeats.router import router as heartbeats_router
from nightwatch_ingestion.integrations.inbound import router as inbound_router
from nightwatch_ingestion.integrations.keys import KeyCache
from nightwatch_ingestion.integrations.router import router as integrations_router
from nightwatch_ingestion.metrics import (
    HOT_PATH_BATCH,
    refresh_active_suppressions,
    refresh_link_backlog,
    refresh_routing,
)
from nightwatch_ingestion.retention import alert_retention
from nightwatch_ingestion.routing.cache import RoutingCache
from nightwatch_ingestion.routing.cache import refresh_worker as routing_refresh_worker
from nightwatch_ingestion.routing.legacy import import_service_team_map
from nightwatch_ingestion.routing.router import router as routing_router
from nightwatch_ingestion.settings import IngestionSettings
from nightwatch_ingestion.suppression.cache import SuppressionCache, refresh_worker
from nightwatch_ingestion.suppression.release import SCAN_LIMIT, ReleaseWorker, release_worker
from nightwatch_ingestion.suppression.router import router as suppression_router

log = logging.getLogger("nightwatch.ingestion")


def create_app(settings: IngestionSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or IngestionSettings()
    retention = RetentionWorker.from_settings(settings, [alert_retention(settings)])

    async def start_clients(app: FastAPI) -> None:
        app.state.link_worker = LinkWorker(settings)
        # Workers retry (Idempotency-Key makes that safe); the request path tries once, briefly.
        app.state.incident_client = ServiceClient.from_settings(
            settings.incident_management_url, settings, credential=app.state.service_credential
        )
        app.state.inline_incident_client = ServiceClient(
            settings.incident_management_url,
            timeout=settings.incident_create_timeout_seconds,
            connect_timeout=min(settings.incident_create_timeout_seconds, 1.0),
            retries=0,
            credential=app.state.service_credential,
        )

        # Storing alerts (one statement per call) runs on its own small asyncpg pool (store.py).
        app.state.db_pool = await create_raw_pool(settings)
        # Stored alerts tell the consoles, after the commit (nightwatch_core/change_signal.py).
        app.state.change_signal = ChangeSignal("alerts")
        app.state.change_signal.bind(app.state.db_pool)
        app.state.integration_keys = KeyCache(settings.integration_key_cache_seconds)
        app.state.heartbeat_worker = HeartbeatWorker(
            batch_size=100, poll_interval=settings.heartbeat_poll_seconds
        )
        app.state.release_worker = ReleaseWorker(
            batch_size=SCAN_LIMIT, poll_interval=settings.release_poll_seconds
        )
        app.state.suppression = SuppressionCache()
        try:  # first load now, so the first alert already sees the silences
            await app.state.suppression.reload(app.state.db_pool, now=app.state.clock.now())
        except Exception as exc:  # the database is down: the refresh worker loads it later
            log.warning("silences and maintenance windows not loaded yet: %s", exc)
        # Teams are on-call's: a rule or catch-all is checked against it (one short call).
        app.state.oncall_client = ServiceClient(
            settings.oncall_url,
            timeout=2.0,
            connect_timeout=1.0,
            retries=0,
            credential=app.state.service_credential,
        )
        app.state.routing = RoutingCache()
        try:  # first load now (the rules only: on-call may still be starting; the worker asks)
            await import_service_team_map(
                app.state.db_pool,
                service_team_map=settings.service_team_map,
                default_team=settings.default_team,
                now=app.state.clock.now(),
            )
            await app.state.routing.reload(app.state.db_pool)
        except Exception as exc:  # the database is down: the refresh worker loads them later
            log.warning("routing rules not loaded yet: %s", exc)

        # Concurrent single alerts share one call to incident-management and one statement.
        async def flush(alerts: list[Prepared]) -> list[Placed | BaseException | None]:
            placed = await place_and_store(app, alerts)
            return [placed[alert.alert_id] for alert in alerts]

        app.state.placement_coalescer = Coalescer[Prepared, Placed | None](
            flush,
            max_batch=settings.coalesce_max_batch,
            max_inflight=settings.coalesce_max_inflight,
            size=lambda alert: alert.size,
            max_size=MAX_CALL_BYTES,
            observe_batch=HOT_PATH_BATCH.observe,
        )

        # Held-back single alerts share one statement too (a maintenance window on a noisy service).
        async def flush_held(batch: list[Held]) -> list[BaseException | None]:
            return list(await store_held(app, batch))

        app.state.held_coalescer = Coalescer[Held, None](
            flush_held,
            max_batch=settings.coalesce_max_batch,
            max_inflight=settings.coalesce_max_inflight,
        )

    async def stop_clients(app: FastAPI) -> None:
        await app.state.change_signal.aclose()
        await app.state.db_pool.close()
        await app.state.incident_client.aclose()
        await app.state.inline_incident_client.aclose()
        await app.state.oncall_client.aclose()

    app = create_service_app(
        title="Nightwatch alert ingestion",
        description="Receives alerts, deduplicates by fingerprint and correlates them into incidents.",
        settings=settings,
        routers=[
            alert_stats_router,
            alerts_router,
            inbound_router,
            integrations_router,
            suppression_router,
            heartbeats_router,
            routing_router,
        ],
        on_startup=[start_clients],
        on_shutdown=[stop_clients],
        # The cache refresh is no job worker: every replica, and tests, keep theirs current.
        workers=[
            refresh_worker,
            routing_refresh_worker,
            *([link_worker, heartbeat_worker, release_worker] if settings.workers_enabled else []),
            *(
                [retention.worker]
                if settings.workers_enabled and settings.retention_enabled
                else []
            ),
        ],
        scrape_hooks=[refresh_link_backlog, refresh_active_suppressions, refresh_routing],
        fast_lanes={("POST", "/api/v1/alerts"): POST_ALERTS_LANE},
        clock=clock,
    )
    app.state.retention = retention
    return app
