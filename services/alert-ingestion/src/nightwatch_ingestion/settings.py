"""Settings of the alert-ingestion service (environment variables; see docs/operations.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings


class IngestionSettings(ServiceSettings):
    service_name: str = "alert-ingestion"
