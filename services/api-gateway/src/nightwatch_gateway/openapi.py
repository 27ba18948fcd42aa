"""One OpenAPI document for the whole public API: the gateway's own routes plus every service's
`/api/v1` paths (never `/internal/v1`), with the security schemes the gateway enforces.

Fetched from the services on demand and cached briefly; a service that is down is listed in
`x-unavailable-services` and its paths are missing until it is back, so `/docs` never fails.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from nightwatch_gateway.proxy.routes import (
    PAGERDUTY_INBOUND,
    PUBLIC_ROOT,
    RouteTable,
    is_inbound,
)

log = logging.getLogger("nightwatch.gateway.openapi")
_CACHE_SECONDS = 30.0
_FETCH_TIMEOUT = 2.0
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Login token from POST /api/v1/auth/login, or an API key as the bearer value",
    },
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "API key created by an admin at /api/v1/api-keys",
    },
    "integrationKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An integration's own key (POST /api/v1/integrations); PagerDuty senders "
        "put it in the body as routing_key instead. Accepted only by that integration's inbound "
        "endpoint, never as an API credential.",
    },
}
_PUBLIC_PATHS = {"/health", "/health/ready", "/api/v1/auth/login"}


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if (
                key == "$ref"
                and isinstance(value, str)
                and value.startswith("#/components/schemas/")
            ):
                name = value.rsplit("/", 1)[1]
                out[key] = f"#/components/schemas/{renames.get(name, name)}"
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def merge_service_spec(document: dict[str, Any], service: str, spec: dict[str, Any]) -> None:
    """Add a service's public paths and the schemas they use; rename a schema whose name is taken
    by a different schema (prefixing the service) so nothing is silently overwritten."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    theirs: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    prefix = "".join(part.capitalize() for part in service.split("-"))
    renames = {
        name: f"{prefix}{name}"
        for name, schema in theirs.items()
        if name in schemas and schemas[name] != schema
    }
    for name, schema in theirs.items():
        schemas[renames.get(name, name)] = _rewrite_refs(schema, renames)
    for path, item in spec.get("paths", {}).items():
        if path.startswith(PUBLIC_ROOT) and path not in document["paths"]:
            document["paths"][path] = _rewrite_refs(item, renames)


def _secure(document: dict[str, Any]) -> None:
    document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, item in document["paths"].items():
        if path in _PUBLIC_PATHS:
            continue
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            if is_inbound(method.upper(), path):
                operation["security"] = (
                    [] if path == PAGERDUTY_INBOUND else [{"integrationKey": []}]
                )
            else:
                operation["security"] = [{"bearerAuth": []}, {"apiKeyAuth": []}]


class OpenApiAggregator:
    def __init__(self, app: FastAPI, route_table: RouteTable) -> None:
        self._app = app
        self._route_table = route_table
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    def _own_spec(self) -> dict[str, Any]:
        app = self._app
        return get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        upstream = self._route_table.services[service]
        try:
            response = await asyncio.wait_for(
                self._app.state.proxy_client.get(f"{upstream.base_url}/openapi.json"),
                _FETCH_TIMEOUT,
            )
            if response.status_code == 200:
                spec = response.json()
                return spec if isinstance(spec, dict) else None
        except Exception as exc:  # a down service only hides its part of the document
            log.info("openapi of %s unavailable: %s", service, type(exc).__name__)
        return None

    async def document(self) -> dict[str, Any]:
        async with self._lock:
            if self._cached and self._cached[0] > time.monotonic():
                return self._cached[1]
            document = copy.deepcopy(self._own_spec())
            document["info"]["description"] = (
                "The whole public Nightwatch API, routed by the gateway. Authenticate with a login "
                "token (POST /api/v1/auth/login) or an API key. See docs/gateway.md for the role matrix."
            )
            services = list(self._route_table.services)
            specs = await asyncio.gather(*(self._fetch(s) for s in services))
            missing = []
            for service, spec in zip(services, specs, strict=True):
                if spec is None:
                    missing.append(service)
                else:
                    merge_service_spec(document, service, spec)
            _secure(document)
            if missing:
                document["x-unavailable-services"] = missing
            # Keep an incomplete document only briefly, so a service coming back shows up soon.
            ttl = _CACHE_SECONDS if not missing else 2.0
            self._cached = (time.monotonic() + ttl, document)
            return document


def configure_openapi(app: FastAPI, route_table: RouteTable) -> None:
    """Replace FastAPI's synchronous /openapi.json with the aggregated, async one."""
    app.router.routes = [
        r for r in app.router.routes if getattr(r, "path", None) != app.openapi_url
    ]
    aggregator = OpenApiAggregator(app, route_table)
    app.state.openapi_aggregator = aggregator

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(await aggregator.document())
