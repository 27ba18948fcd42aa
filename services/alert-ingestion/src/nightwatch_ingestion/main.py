"""App factory of the alert-ingestion service: `uvicorn --factory nightwatch_ingestion.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app

from nightwatch_ingestion.settings import IngestionSettings


def create_app(settings: IngestionSettings | None = None) -> FastAPI:
    settings = settings or IngestionSettings()
    return create_service_app(
        title="Nightwatch alert ingestion",
        description="Receives alerts, deduplicates by fingerprint and correlates them into incidents.",
        settings=settings,
        routers=[],
    )
