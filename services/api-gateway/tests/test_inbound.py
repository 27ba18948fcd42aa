"""The integrations' inbound endpoints through the gateway, to a real upstream: no login or API
key needed (the integration's key is checked by alert-ingestion), the key is passed on as
X-Integration-Key and never as Authorization, each key has its own rate limit, and the
OpenAPI document names the integration key as their security."""

from __future__ import annotations

from typing import Any

import httpx
from nightwatch_gateway.main import create_app

from .conftest import admin_headers, make_account

AM_KEY = "nwi_0123456789ab_" + "k" * 43


async def test_inbound_paths_pass_with_the_integration_key_only(gateway: httpx.AsyncClient) -> None:
    for path in (
        "/api/v1/integrations/alertmanager",
        "/api/v1/integrations/grafana",
        "/api/v1/integrations/generic",
    ):
        response = await gateway.post(
            path, json={"alerts": []}, headers={"Authorization": f"Bearer {AM_KEY}", "X-Actor": "x"}
        )
        assert response.status_code == 201, response.text  # the echo upstream answered
        echoed = response.json()
        assert (echoed["path"], echoed["integration_key"]) == (path, AM_KEY)
        assert echoed["authorization"] is None and echoed["actors"] == ["integration"]
    # A client cannot smuggle its own X-Integration-Key past the gateway.
    smuggled = await gateway.post(
        "/api/v1/integrations/alertmanager", json={}, headers={"X-Integration-Key": AM_KEY}
    )
    assert smuggled.json()["integration_key"] is None

    body = {"routing_key": AM_KEY, "event_action": "trigger"}
    pd = await gateway.post("/api/v1/integrations/pagerduty/v2/enqueue", json=body)
    assert pd.status_code == 201 and pd.json()["body_bytes"] > 0  # the body reached it whole

    # Everything else under /api/v1/integrations is admin's (reading keys' metadata too).
    assert (await gateway.get("/api/v1/integrations")).status_code == 401
    _, viewer = await make_account(gateway, "viewer")
    assert (await gateway.get("/api/v1/integrations", headers=viewer)).status_code == 403
    admin = await admin_headers(gateway)
    assert (await gateway.get("/api/v1/integrations", headers=admin)).status_code == 200
    # GET on an inbound path is not an inbound request.
    assert (await gateway.get("/api/v1/integrations/alertmanager")).status_code == 401


async def test_each_integration_key_has_its_own_rate_limit(
    app_client: Any, gateway_settings: Any
) -> None:
    settings = gateway_settings(rate_limit_integration="3/minute")
    async with app_client(create_app(settings)) as client:
        path = "/api/v1/integrations/alertmanager"
        first = {"Authorization": f"Bearer {AM_KEY}"}
        statuses = [(await client.post(path, json={}, headers=first)).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
        other = {"Authorization": "Bearer nwi_ba9876543210_" + "z" * 43}
        assert (await client.post(path, json={}, headers=other)).status_code == 201
        limited = await client.post(path, json={}, headers=first)
        assert limited.status_code == 429 and "Retry-After" in limited.headers


async def test_openapi_documents_the_inbound_security(gateway: httpx.AsyncClient) -> None:
    document = (await gateway.get("/openapi.json")).json()
    assert "integrationKey" in document["components"]["securitySchemes"]
