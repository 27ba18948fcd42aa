"""``create_service_app``: the one place every service gets its cross-cutting behaviour.

A service's ``main.create_app()`` passes its settings, routers, readiness checks and background
workers; the engine, clients and workers are started in the lifespan and stopped on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from nightwatch_core.clock import Clock, SystemClock
from nightwatch_core.db import create_engine, create_sessionmaker
from nightwatch_core.errors import configure_errors
from nightwatch_core.fast_lane import FastLane, LaneKey, ServiceApp
from nightwatch_core.health import ReadinessCheck, configure_health
from nightwatch_core.metrics import ScrapeHook, configure_metrics
from nightwatch_core.middleware import CoreMiddleware
from nightwatch_core.secrets import SERVICE_TOKEN, StackSecret
from nightwatch_core.service_auth import ServiceAuth
from nightwatch_core.settings import ServiceSettings
from nightwatch_core.structured_logging import configure_logging

log = logging.getLogger("nightwatch.app")

LifecycleHook = Callable[[FastAPI], Awaitable[None]]
# A worker runs for the app's whole life; it is cancelled on shutdown.
Worker = Callable[[FastAPI], Awaitable[None]]


def create_service_app(
    *,
    title: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter] = (),
    readiness_checks: dict[str, ReadinessCheck] | None = None,
    on_startup: Sequence[LifecycleHook] = (),
    on_shutdown: Sequence[LifecycleHook] = (),
    workers: Sequence[Worker] = (),
    scrape_hooks: Sequence[ScrapeHook] = (),
    fast_lanes: dict[LaneKey, FastLane] | None = None,
    clock: Clock | None = None,
    version: str = "0.1.0",
    description: str = "",
    require_service_credential: bool = True,
) -> FastAPI:
    """``require_service_credential``: False only for the gateway, whose callers are people and
    machines with their own credentials (nightwatch_core/service_auth.py).
    ``fast_lanes``: (method, path) -> the lane serving it and what it does in FastAPI's place
    (nightwatch_core/fast_lane.py)."""
    configure_logging(service=settings.service_name, level=settings.log_level)
    credential = StackSecret(SERVICE_TOKEN, settings.service_token)
    service_auth = (
        ServiceAuth(credential, anonymous_loopback=settings.anonymous_loopback)
        if require_service_credential
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(app, ServiceApp):
            app.check_lanes()  # before anything starts: a lane that skips a dependency is a bug
        # First, so the workers' first calls carry it; a database that is down does not stop the
        # start (requests needing the credential get a 503 until it is read in the background).
        timeout = settings.db_connect_timeout_seconds
        loaded = await credential.load(settings.database_url, connect_timeout=timeout)
        app.state.engine = create_engine(settings)
        app.state.sessionmaker = create_sessionmaker(app.state.engine)
        for hook in on_startup:
            await hook(app)
        tasks = [asyncio.create_task(_supervise(app, worker)) for worker in workers]
        if not loaded:
            loader = credential.keep_loading(settings.database_url, connect_timeout=timeout)
            tasks.append(asyncio.create_task(loader))
        app.state.worker_tasks = tasks
        _freeze_startup_objects()
        log.info("started", extra={"workers": len(tasks)})
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for hook in on_shutdown:
                await hook(app)
            await app.state.engine.dispose()
            log.info("stopped")

    app = ServiceApp(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    # The stack's service credential: checked on the way in (service_auth), sent by every
    # ServiceClient built with it on the way out.
    app.state.service_credential = credential
    app.add_middleware(
        CoreMiddleware,
        service=settings.service_name,
        max_body_bytes=settings.max_body_bytes,
        access_log=settings.access_log,
        service_auth=service_auth,
    )
    configure_errors(app)
    configure_health(app, checks=readiness_checks, timeout=settings.ready_timeout_seconds)
    configure_metrics(app, scrape_hooks=scrape_hooks, hook_timeout=settings.ready_timeout_seconds)
    for router in routers:
        app.include_router(router)
    for (method, path), lane in (fast_lanes or {}).items():
        app.add_fast_lane(
            method,
            path,
            lane,
            service=settings.service_name,
            max_body_bytes=settings.max_body_bytes,
            access_log=settings.access_log,
            service_auth=service_auth,
        )
    return app


def _freeze_startup_objects() -> None:
    """Keep the garbage collector off what lives as long as the process.

    Profiling ingestion under load showed a full (generation 2) collection every ~0.3 s, each
    stalling every request in flight for 35-55 ms while it scanned ~120k objects that live for
    the whole run (modules, routes, pydantic schemas) and freed nothing. Frozen objects are never
    scanned again, so a full collection only walks what requests created.
    """
    gc.collect()
    gc.freeze()


async def _supervise(app: FastAPI, worker: Worker) -> None:
    """Keep a worker alive: a crash is logged and the worker restarts after a pause."""
    name = getattr(worker, "__name__", repr(worker))
    while True:
        try:
            await worker(app)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("worker crashed; restarting in 1s", extra={"worker": name})
            await asyncio.sleep(1.0)
