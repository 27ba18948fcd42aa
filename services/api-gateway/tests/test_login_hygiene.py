"""Issue #12, finding 9: an API key stops at its expires_at (not up to 5 s later), and an account
that must change its password can do nothing else until it has."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.databases import create_database, drop_database
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings

from .conftest import admin_headers, login


async def test_an_api_key_stops_at_its_expiry_even_while_cached(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    app = create_app(gateway_settings())  # credentials cached for 5 s, as in production
    clock = ManualClock(datetime.now(UTC))
    app.state.clock = clock
    async with app_client(app) as gateway:
        expires_at = clock.now() + timedelta(minutes=10)
        created = await gateway.post(
            "/api/v1/api-keys",
            json={"name": f"short-{uuid.uuid4().hex[:6]}", "role": "viewer",
                  "expires_at": expires_at.isoformat()},
            headers=await admin_headers(gateway),
        )  # fmt: skip
        assert created.status_code == 201, created.text
        key = {"X-API-Key": created.json()["key"]}
        assert (await gateway.get("/api/v1/incidents", headers=key)).status_code == 200  # cached
        clock.advance(timedelta(minutes=10))  # exactly at expires_at: no longer valid
        expired = await gateway.get("/api/v1/incidents", headers=key)
        assert expired.status_code == 401, expired.text
        assert "expired" in expired.json()["error"]["message"]


async def test_must_change_password_allows_only_me_and_change_password(
    gateway: httpx.AsyncClient,
) -> None:
    username, password = f"ops-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    created = await gateway.post(
        "/api/v1/accounts",
        json={"username": username, "password": password, "role": "admin"},  # must change: default
        headers=await admin_headers(gateway),
    )
    assert created.status_code == 201 and created.json()["must_change_password"] is True
    pending = await login(gateway, username, password)
    for method, path in [
        ("GET", "/api/v1/accounts"),
        ("POST", "/api/v1/api-keys"),
        ("GET", "/api/v1/incidents"),  # proxied
        ("DELETE", f"/api/v1/accounts/{created.json()['id']}"),
    ]:
        refused = await gateway.request(method, path, headers=pending, json={"name": "x"})
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["error"]["code"] == "password_change_required"
    me = await gateway.get("/api/v1/auth/me", headers=pending)
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    changed = await gateway.post(
        "/api/v1/auth/change-password",
        json={"current_password": password, "new_password": f"new-{password}"},
        headers=pending,
    )
    assert changed.status_code == 204
    fresh = await login(gateway, username, f"new-{password}")
    assert (await gateway.get("/api/v1/accounts", headers=fresh)).status_code == 200
    assert (await gateway.get("/api/v1/incidents", headers=fresh)).status_code == 200


async def test_the_default_first_admin_must_change_its_password_first(
    app_client: Callable[..., Any],
    gateway_settings: Callable[..., GatewaySettings],
    pg_server_url: str,
    repo_root: Path,
) -> None:
    fresh_database = await create_database(pg_server_url, repo_root=repo_root, prefix="nw_tauth")
    try:
        settings = gateway_settings(database_url=fresh_database, bootstrap_admin_password="admin")
        async with app_client(create_app(settings)) as gateway:
            login_answer = await gateway.post(
                "/api/v1/auth/login", json={"username": "admin", "password": "admin"}
            )
            assert login_answer.status_code == 200
            assert login_answer.json()["user"]["must_change_password"] is True
            admin = {"Authorization": f"Bearer {login_answer.json()['access_token']}"}
            refused = await gateway.get("/api/v1/accounts", headers=admin)
            assert refused.status_code == 403
    finally:
        await drop_database(pg_server_url, fresh_database)
