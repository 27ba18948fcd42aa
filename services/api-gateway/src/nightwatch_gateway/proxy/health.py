"""Readiness of the gateway includes each downstream service's own readiness, named by service."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI
from nightwatch_core.health import ReadinessCheck

from nightwatch_gateway.proxy.routes import RouteTable


async def _service_ready(service: str, app: FastAPI) -> str | None:
    upstream = app.state.route_table.services[service]
    response = await app.state.proxy_client.get(f"{upstream.base_url}/health/ready")
    if response.status_code != 200:
        return f"{upstream.base_url}/health/ready answered {response.status_code}"
    return None


def downstream_checks(route_table: RouteTable) -> dict[str, ReadinessCheck]:
    return {name: partial(_service_ready, name) for name in route_table.services}
