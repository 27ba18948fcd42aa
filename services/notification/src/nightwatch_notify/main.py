"""App factory of the notification service: `uvicorn --factory nightwatch_notify.main:create_app`."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.clock import Clock
from nightwatch_core.db import create_raw_pool
from nightwatch_core.retention import RetentionWorker

from nightwatch_notify.channels import build_channels
from nightwatch_notify.channels.address_guard import guarded_client
from nightwatch_notify.notifications.internal_router import internal_router
from nightwatch_notify.notifications.retention import notification_retention
from nightwatch_notify.notifications.router import router as notifications_router
from nightwatch_notify.notifications.workers import DeliveryWorker
from nightwatch_notify.settings import NotifySettings


def create_app(settings: NotifySettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    delivery = DeliveryWorker(settings)
    retention = RetentionWorker.from_settings(settings, [notification_retention(settings)])

    async def open_channels(app: FastAPI) -> None:
        # Outbound HTTP for webhook and slack; each channel passes its own timeout per request.
        app.state.outbound_http = httpx.AsyncClient(
            follow_redirects=False,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        )
        app.state.webhook_http = guarded_client(
            settings.webhook_networks(),
            httpx.Limits(max_connections=50, max_keepalive_connections=10),
        )
        app.state.channels = build_channels(
            settings, http=app.state.outbound_http, webhook_http=app.state.webhook_http
        )
        # The outbox's claim and record statements (notifications/outbox.py).
        app.state.db_pool = await create_raw_pool(settings)

    async def close_channels(app: FastAPI) -> None:
        await app.state.outbound_http.aclose()
        await app.state.webhook_http.aclose()
        await app.state.db_pool.close()

    app = create_service_app(
        title="Nightwatch notification",
        description="Notification delivery through channels with a durable outbox.",
        settings=settings,
        routers=[notifications_router, internal_router],
        on_startup=[open_channels],
        on_shutdown=[close_channels],
        workers=[
            *([delivery.worker] if settings.notify_worker_enabled else []),
            *([retention.worker] if settings.retention_enabled else []),
        ],
        clock=clock,
    )
    app.state.delivery = delivery
    app.state.retention = retention
    return app
