"""The gateway's own database goes away: recently verified credentials keep working for a grace
period (alerts keep flowing to healthy services); an unknown one gets a clear 503, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nightwatch_core.testing.tcp_proxy import TcpProxy
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings

from .conftest import make_key


async def test_recent_credentials_survive_a_database_outage(
    app_client: Callable[..., Any],
    gateway_settings: Callable[..., GatewaySettings],
    database_url: str,
) -> None:
    proxy = TcpProxy(database_url)
    await proxy.start()
    base = gateway_settings(credential_cache_seconds=0, db_connect_timeout_seconds=1.0)
    settings = GatewaySettings(**{**base.model_dump(), "database_url": proxy.url_for(database_url)})
    try:
        async with app_client(create_app(settings)) as client:
            known = {"X-API-Key": (await make_key(client, permissions=["ingest"]))["key"]}
            unseen = {"X-API-Key": (await make_key(client, permissions=["ingest"]))["key"]}
            assert (await client.post("/api/v1/alerts", json={}, headers=known)).status_code == 201

            await proxy.cut()
            during = await client.post("/api/v1/alerts", json={}, headers=known)
            assert during.status_code == 201
            assert during.json()["actor"].startswith("api-key:")
            refused = await client.post("/api/v1/alerts", json={}, headers=unseen)
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "auth_unavailable"
            metrics = (await client.get("/metrics")).text
            assert (
                "gateway_stale_credentials_total 1.0" in metrics
                or "gateway_stale_credentials_total 2.0" in metrics
            )

            await proxy.restore()
            assert (await client.post("/api/v1/alerts", json={}, headers=unseen)).status_code == 201
    finally:
        await proxy.cut()
