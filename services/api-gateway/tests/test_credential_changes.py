"""Two gateway replicas on one database: a key revoked or an account changed through one is
refused by the other at once, although the other's credential cache would keep it for minutes
(issue #17). The second replica learns it from PostgreSQL (LISTEN/NOTIFY, migration 0130)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
from fastapi import FastAPI
from nightwatch_gateway.auth.invalidation import CHANNEL
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings

from .conftest import admin_headers, make_account, make_key

# Far longer than the test: without the announcement the other replica would keep accepting.
CACHE_SECONDS = 300.0
# How long an announcement may take to reach the other replica on loopback before it is a bug.
DELIVERY_BOUND_SECONDS = 5.0


def _replica(settings: GatewaySettings) -> FastAPI:
    return create_app(settings)


async def _listening(app: FastAPI) -> None:
    await asyncio.wait_for(app.state.credential_listener.listening.wait(), DELIVERY_BOUND_SECONDS)


async def _hears(app: FastAPI) -> None:
    await asyncio.wait_for(app.state.credential_listener.heard.wait(), DELIVERY_BOUND_SECONDS)


async def test_a_key_revoked_through_one_replica_is_refused_by_the_other(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    settings = gateway_settings(credential_cache_seconds=CACHE_SECONDS)
    first_app, second_app = _replica(settings), _replica(settings)
    async with app_client(first_app) as first, app_client(second_app) as second:
        await _listening(second_app)
        created = await make_key(first, role="viewer")
        key = {"X-API-Key": created["key"]}
        # Verified and cached by the second replica; using it announces nothing.
        assert (await second.get("/api/v1/auth/me", headers=key)).status_code == 200
        assert (await second.get("/api/v1/auth/me", headers=key)).status_code == 200
        second_app.state.credential_listener.heard.clear()
        revoked = await first.delete(
            f"/api/v1/api-keys/{created['id']}", headers=await admin_headers(first)
        )
        assert revoked.status_code == 200
        await _hears(second_app)
        refused = await second.get("/api/v1/auth/me", headers=key)
        assert refused.status_code == 401
        assert refused.json()["error"]["message"] == "This API key was revoked"


async def test_a_role_changed_through_one_replica_applies_on_the_other(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    settings = gateway_settings(credential_cache_seconds=CACHE_SECONDS)
    first_app, second_app = _replica(settings), _replica(settings)
    async with app_client(first_app) as first, app_client(second_app) as second:
        await _listening(second_app)
        username, admin_login = await make_account(first, "admin")
        assert (await second.get("/api/v1/accounts", headers=admin_login)).status_code == 200
        accounts = (await first.get("/api/v1/accounts", headers=await admin_headers(first))).json()
        account = next(a for a in accounts["items"] if a["username"] == username)
        second_app.state.credential_listener.heard.clear()
        demoted = await first.patch(
            f"/api/v1/accounts/{account['id']}",
            json={"role": "viewer"},
            headers=await admin_headers(first),
        )
        assert demoted.status_code == 200
        await _hears(second_app)
        # The token carried the old role: refused, the person logs in again as a viewer.
        assert (await second.get("/api/v1/accounts", headers=admin_login)).status_code == 401


async def test_only_credential_changes_are_announced(database_url: str) -> None:
    """Using a key (last_used_at) or logging in (last_login_at) must not flush every replica's
    cache; revoking must. Listened to directly, in commit order."""
    heard: list[str] = []
    marker_heard = asyncio.Event()

    def record(*args: Any) -> None:
        heard.append(args[3])
        if args[3] == "marker":
            marker_heard.set()

    listener = await asyncpg.connect(database_url)
    writer = await asyncpg.connect(database_url)
    try:
        await listener.add_listener(CHANNEL, record)
        key_id = await writer.fetchval(
            "INSERT INTO gateway.api_keys (name, prefix, key_hash, role, created_by)"
            " VALUES ('t', left(md5(random()::text), 16), md5(random()::text) || md5(random()::text), 'viewer', 'test') RETURNING id"
        )
        await writer.execute(
            "UPDATE gateway.api_keys SET last_used_at = now() WHERE id = $1", key_id
        )
        await writer.execute(
            "UPDATE gateway.accounts SET last_login_at = now() WHERE username = 'admin'"
        )
        await writer.execute("UPDATE gateway.api_keys SET revoked_at = now() WHERE id = $1", key_id)
        # A marker after everything else: once it is heard, so is all that came before.
        await writer.execute("SELECT pg_notify($1, 'marker')", CHANNEL)
        await asyncio.wait_for(marker_heard.wait(), DELIVERY_BOUND_SECONDS)
        assert heard == ["api_keys", "marker"]
    finally:
        await listener.close()
        await writer.close()
