"""App factory of the notification service: `uvicorn --factory nightwatch_notify.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app

from nightwatch_notify.settings import NotifySettings


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    return create_service_app(
        title="Nightwatch notification",
        description="Notification delivery through channels with a durable outbox.",
        settings=settings,
        routers=[],
    )
