"""One OpenAPI document for the whole public API, aggregated from the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from nightwatch_gateway.main import create_app
from nightwatch_gateway.openapi import merge_service_spec
from nightwatch_gateway.settings import GatewaySettings


async def test_aggregated_document_has_every_public_path_and_the_security_schemes(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    assert "post" in paths["/api/v1/alerts"]  # from the upstream service
    assert (
        "/api/v1/auth/login" in paths
        and "/api/v1/api-keys" in paths
        and "/api/v1/accounts" in paths
    )
    assert not any(path.startswith("/internal/") for path in paths)
    assert set(document["components"]["securitySchemes"]) == {
        "bearerAuth",
        "apiKeyAuth",
        "integrationKey",
    }
    assert paths["/api/v1/alerts"]["post"]["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert "security" not in paths["/api/v1/auth/login"]["post"]
    assert "AlertCreate" in document["components"]["schemas"]
    assert "x-unavailable-services" not in document
    docs = await gateway.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text


async def test_a_down_service_is_named_and_the_rest_still_served(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings], down_url: str
) -> None:
    async with app_client(create_app(gateway_settings(notification_url=down_url))) as client:
        document = (await client.get("/openapi.json")).json()
        assert document["x-unavailable-services"] == ["notification"]
        assert "/api/v1/alerts" in document["paths"]


def test_a_schema_name_taken_by_a_different_schema_is_renamed_not_overwritten() -> None:
    document: dict[str, Any] = {
        "paths": {},
        "components": {"schemas": {"Page": {"type": "object", "title": "gateway page"}}},
    }
    spec = {
        "paths": {
            "/api/v1/teams": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Page"}
                                }
                            }
                        }
                    }
                }
            },
            "/internal/v1/escalations": {"post": {}},
        },
        "components": {"schemas": {"Page": {"type": "object", "title": "teams page"}}},
    }
    merge_service_spec(document, "oncall-escalation", spec)
    schemas = document["components"]["schemas"]
    assert schemas["Page"]["title"] == "gateway page"
    assert schemas["OncallEscalationPage"]["title"] == "teams page"
    ref = document["paths"]["/api/v1/teams"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    assert ref == {"$ref": "#/components/schemas/OncallEscalationPage"}
    assert "/internal/v1/escalations" not in document["paths"]
