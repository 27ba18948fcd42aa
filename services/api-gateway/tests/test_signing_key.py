"""Issue #12, finding 2: logins are signed with the stack's own random key, never a public one."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from nightwatch_core.secrets import JWT_SECRET, shared_secret
from nightwatch_gateway.auth.credentials import issue_token
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import DEV_JWT_SECRET, GatewaySettings

from .conftest import admin_headers


def _forged_admin_token(secret: str, account_id: str) -> str:
    return issue_token(
        secret=secret,
        account_id=account_id,
        username="admin",
        role="admin",
        token_version=1,
        now=datetime.now(UTC),
        ttl_seconds=3600,
    )


async def test_unset_secret_is_generated_kept_and_shared_and_the_public_one_forges_nothing(
    app_client: Callable[..., Any],
    gateway_settings: Callable[..., GatewaySettings],
    database_url: str,
) -> None:
    settings = gateway_settings(jwt_secret=None)  # what `make up` and compose run with
    first, second = create_app(settings), create_app(settings)
    async with app_client(first) as one, app_client(second) as other:
        admin = await admin_headers(one)
        me = await other.get("/api/v1/auth/me", headers=admin)  # a replica, a restart: same key
        assert me.status_code == 200, me.text
        stored = await shared_secret(database_url, JWT_SECRET)
        assert first.state.jwt_secret.value == stored and len(stored) >= 40
        assert stored != DEV_JWT_SECRET
        # The attack of the finding: an admin token minted with the published development value.
        account_id = (await one.get("/api/v1/accounts", headers=admin)).json()["items"][0]["id"]
        forged = {"Authorization": f"Bearer {_forged_admin_token(DEV_JWT_SECRET, account_id)}"}
        for client in (one, other):
            assert (await client.get("/api/v1/accounts", headers=forged)).status_code == 401
            assert (await client.get("/api/v1/api-keys", headers=forged)).status_code == 401


def test_the_public_development_value_is_refused_outside_tests(
    gateway_settings: Callable[..., GatewaySettings],
) -> None:
    for environment in ("development", "production", "staging"):
        with pytest.raises(ValueError, match="public development value"):
            create_app(gateway_settings(jwt_secret=DEV_JWT_SECRET, environment=environment))
    create_app(gateway_settings(jwt_secret=DEV_JWT_SECRET, environment="test"))
    create_app(gateway_settings(jwt_secret=f"operator-chosen-{uuid.uuid4().hex}"))
