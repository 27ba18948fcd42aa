"""Liveness never touches I/O; readiness runs a real query and flips 503 <-> 200 with the database."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from nightwatch_core.app_factory import create_service_app
from nightwatch_core.settings import ServiceSettings
from nightwatch_core.testing.tcp_proxy import TcpProxy


async def test_health_and_ready_are_200(sample_app: Any, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        assert (await client.get("/health")).json() == {"status": "ok", "service": "sample"}
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"]["database"] == {"status": "ok"}


async def _wait_for_status(client: Any, path: str, status: int, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        response = await client.get(path)
        if response.status_code == status:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} did not answer {status} within {within}s")


async def test_readiness_follows_the_database_down_and_back(
    database_url: str, app_client: Any
) -> None:
    proxy = TcpProxy(database_url)
    await proxy.start()
    settings = ServiceSettings(
        service_name="flappy",
        database_url=proxy.url_for(database_url),
        ready_timeout_seconds=1.0,
        db_connect_timeout_seconds=1.0,
        access_log=False,
    )
    app = create_service_app(title="flappy", settings=settings)
    async with app_client(app) as client:
        assert (await client.get("/health/ready")).status_code == 200

        await proxy.cut()
        await _wait_for_status(client, "/health/ready", 503, within=5.0)
        body = (await client.get("/health/ready")).json()
        assert body["status"] == "not_ready"
        assert body["checks"]["database"]["status"] == "failing"
        assert body["checks"]["database"]["reason"]
        # Liveness does not depend on the database.
        assert (await client.get("/health")).status_code == 200

        await proxy.restore()
        await _wait_for_status(client, "/health/ready", 200, within=10.0)
    await proxy.cut()
