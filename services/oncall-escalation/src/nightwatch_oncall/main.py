"""App factory of the oncall-escalation service: `uvicorn --factory nightwatch_oncall.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app

from nightwatch_oncall.settings import OncallSettings


def create_app(settings: OncallSettings | None = None) -> FastAPI:
    settings = settings or OncallSettings()
    return create_service_app(
        title="Nightwatch on-call and escalation",
        description="Schedules, who is on call, escalation policies with durable timers.",
        settings=settings,
        routers=[],
    )
