"""App factory of the api-gateway service: `uvicorn --factory nightwatch_gateway.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app

from nightwatch_gateway.settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    return create_service_app(
        title="Nightwatch API gateway",
        description="The single public entry: authentication, rate limiting and routing to the services.",
        settings=settings,
        routers=[],
    )
