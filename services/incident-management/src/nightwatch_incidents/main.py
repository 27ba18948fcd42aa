"""App factory of the incident-management service: `uvicorn --factory nightwatch_incidents.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app

from nightwatch_incidents.settings import IncidentSettings


def create_app(settings: IncidentSettings | None = None) -> FastAPI:
    settings = settings or IncidentSettings()
    return create_service_app(
        title="Nightwatch incident management",
        description="Incident lifecycle, notes, append-only timeline, MTTA/MTTR and stats.",
        settings=settings,
        routers=[],
    )
