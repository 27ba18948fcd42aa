"""Gateway test fixtures: a real upstream HTTP server, and the gateway app in front of it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings

from .upstream import closed_port_url, serve, upstream_app

# The seeded admin's password, chosen like an operator would (BOOTSTRAP_ADMIN_PASSWORD): the
# published default "admin" would have to be changed before any other call (issue #12).
ADMIN = ("admin", "gateway-tests-admin-password")
GENEROUS = "100000/minute"
# The tests' own signing key (never the public development value, which the gateway refuses).
TEST_JWT_SECRET = "gateway-tests-" + uuid.uuid4().hex


@pytest.fixture(scope="session")
async def upstream_url() -> AsyncIterator[str]:
    async with serve(upstream_app()) as url:
        yield url


@pytest.fixture
def gateway_settings(
    make_settings: Callable[..., Any], upstream_url: str
) -> Callable[..., GatewaySettings]:
    def build(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "alert_ingestion_url": upstream_url,
            "incident_management_url": upstream_url,
            "oncall_url": upstream_url,
            "notification_url": upstream_url,
            "proxy_timeout_seconds": 1.0,
            "jwt_secret": TEST_JWT_SECRET,
            "bootstrap_admin_password": ADMIN[1],
            "rate_limit_login": GENEROUS,
            "rate_limit_login_address": GENEROUS,
            "rate_limit_unauthenticated": GENEROUS,
            "rate_limit_read": GENEROUS,
            "rate_limit_write": GENEROUS,
            "rate_limit_ingest": GENEROUS,
            "rate_limit_admin": GENEROUS,
            "rate_limit_integration": GENEROUS,
            # Refusals answered at once (test_starvation.py checks the delay on its own).
            "in_flight_refusal_delay_seconds": 0,
        }
        values.update(overrides)
        return make_settings(GatewaySettings, **values)  # type: ignore[no-any-return]

    return build


@pytest.fixture
async def gateway(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(gateway_settings())) as client:
        yield client


@pytest.fixture
def down_url() -> str:
    return closed_port_url()


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    return await login(client, *ADMIN)


async def make_account(client: httpx.AsyncClient, role: str) -> tuple[str, dict[str, str]]:
    """A fresh account of `role`; returns its name and login headers."""
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    created = await client.post(
        "/api/v1/accounts",
        json={
            "username": username,
            "password": password,
            "role": role,
            "must_change_password": False,
        },
        headers=await admin_headers(client),
    )
    assert created.status_code == 201, created.text
    return username, await login(client, username, password)


async def make_key(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    body.setdefault("name", f"key-{uuid.uuid4().hex[:8]}")
    created = await client.post("/api/v1/api-keys", json=body, headers=await admin_headers(client))
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]
