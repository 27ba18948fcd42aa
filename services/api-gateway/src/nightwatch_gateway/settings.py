"""Settings of the api-gateway service (environment variables; see docs/operations.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "api-gateway"
