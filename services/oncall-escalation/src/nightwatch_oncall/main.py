"""App factory of the oncall-escalation service: `uvicorn --factory nightwatch_oncall.main:create_app`.

Each domain contributes routers (and, where it has timers, workers) to the lists below.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, FastAPI
from nightwatch_core.app_factory import Worker, create_service_app
from nightwatch_core.clock import Clock
from nightwatch_core.db import create_raw_pool

from nightwatch_oncall.escalation import workers as escalation
from nightwatch_oncall.escalation.router import internal_router as escalation_internal_router
from nightwatch_oncall.escalation.router import router as escalation_router
from nightwatch_oncall.notification_rules.router import router as notification_rules_router
from nightwatch_oncall.people.router import router as people_router
from nightwatch_oncall.schedules.router import router as schedules_router
from nightwatch_oncall.settings import OncallSettings


async def start_pool(app: FastAPI) -> None:
    # Single-statement hot paths (escalation/stopping.py) on a raw asyncpg pool.
    app.state.db_pool = await create_raw_pool(app.state.settings)


async def stop_pool(app: FastAPI) -> None:
    await app.state.db_pool.close()


def create_app(settings: OncallSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or OncallSettings()
    routers: list[APIRouter] = [
        people_router,
        notification_rules_router,
        schedules_router,
        escalation_router,
        escalation_internal_router,
    ]
    workers: list[Worker] = escalation.workers_for(settings)
    app = create_service_app(
        title="Nightwatch on-call and escalation",
        description="People, teams, schedules, who is on call, escalation policies with durable timers.",
        settings=settings,
        routers=routers,
        workers=workers,
        on_startup=[start_pool, escalation.start_runtime],
        on_shutdown=[escalation.stop_runtime, stop_pool],
        clock=clock,
    )
    # Calendar feeds computed at once (schedules/feed.py): the rest wait their turn.
    app.state.feed_limiter = asyncio.Semaphore(settings.ical_concurrency)
    return app
