"""App factory of the incident-management service: `uvicorn --factory nightwatch_incidents.main:create_app`."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.change_signal import ChangeSignal, SignalWrites
from nightwatch_core.clock import Clock
from nightwatch_core.db import create_raw_pool
from nightwatch_core.http_client import ServiceClient
from nightwatch_core.shared_reads import SharedReads

from nightwatch_incidents.correlation.router import prune_worker
from nightwatch_incidents.correlation.router import router as correlation_router
from nightwatch_incidents.events.hub import ChangeHub, listen_for_changes
from nightwatch_incidents.events.router import router as events_router
from nightwatch_incidents.incidents import flows, stopping
from nightwatch_incidents.incidents.batch_router import router as batch_router
from nightwatch_incidents.incidents.bulk_router import router as bulk_router
from nightwatch_incidents.incidents.internal_router import router as internal_router
from nightwatch_incidents.incidents.router import router as incidents_router
from nightwatch_incidents.metrics import refresh_event_gauges, refresh_status_gauge
from nightwatch_incidents.settings import IncidentSettings


def create_app(
    settings: IncidentSettings | None = None,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """``transport`` (tests) replaces the network for the calls to on-call and ingestion."""
    settings = settings or IncidentSettings()
    queue = flows.build_job_queue(max_backoff=settings.jobs_max_backoff_seconds)
    jobs = [queue.worker, prune_worker] if settings.jobs_worker_enabled else []
    # Every committed change of an incident (any write route answered 2xx, public or internal)
    # tells the consoles of every replica, after the commit (events/hub.py).
    changes = ChangeSignal("incidents")

    async def start_clients(app: FastAPI) -> None:
        def client(url: str, timeout: float, connect: float, retries: int) -> ServiceClient:
            return ServiceClient(
                url,
                timeout=timeout,
                connect_timeout=connect,
                retries=retries,
                transport=transport,
                credential=app.state.service_credential,
            )

        app.state.job_queue = queue
        app.state.change_hub = ChangeHub(max_subscribers=settings.event_stream_max_clients)
        # The hot paths' single statements (incidents/hot_paths.py, queries.py).
        app.state.db_pool = await create_raw_pool(settings)
        app.state.shared_stats = SharedReads()  # incidents/router.py: the stats routes

        changes.bind(app.state.db_pool)
        normal = (
            settings.http_timeout_seconds,
            settings.http_connect_timeout_seconds,
            settings.http_retries,
        )
        fast = settings.escalation_stop_timeout_seconds
        reads = settings.alerts_fetch_timeout_seconds
        # Jobs use the normal clients (retried); the calls made within a request give up fast.
        app.state.oncall = client(settings.oncall_url, *normal)
        app.state.oncall_fast = client(settings.oncall_url, fast, fast, 0)
        app.state.ingestion = client(settings.alert_ingestion_url, reads, reads, 0)
        app.state.stop_coalescer = stopping.build_stop_coalescer(app)

    async def close_clients(app: FastAPI) -> None:
        await changes.aclose()
        for name in ("oncall", "oncall_fast", "ingestion"):
            await getattr(app.state, name).aclose()
        await app.state.db_pool.close()

    app = create_service_app(
        title="Nightwatch incident management",
        description="Incident lifecycle, notes, append-only timeline, MTTA/MTTR and stats.",
        settings=settings,
        # The event stream first: its path would otherwise be taken for an incident id.
        routers=[
            events_router,
            bulk_router,
            incidents_router,
            internal_router,
            correlation_router,
            batch_router,
        ],
        on_startup=[start_clients],
        on_shutdown=[close_clients],
        # The change listener serves this process's event streams, so it runs in every process.
        workers=[*jobs, listen_for_changes],
        scrape_hooks=[refresh_status_gauge, refresh_event_gauges],
        clock=clock,
    )
    app.add_middleware(SignalWrites, signal=changes)
    app.state.change_signal = changes
    return app
