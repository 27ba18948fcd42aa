"""Settings of the incident-management service (environment variables; see docs/operations.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings


class IncidentSettings(ServiceSettings):
    service_name: str = "incident-management"
