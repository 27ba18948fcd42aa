"""Schemathesis over the gateway's own routes (auth, accounts, API keys) as an admin (who gets
past authentication to the validation and the database), over real HTTP: valid and invalid
requests never give a 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

import httpx
from fastapi.openapi.utils import get_openapi
from nightwatch_core.testing.fuzz import find_server_errors
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings

from .conftest import ADMIN
from .upstream import serve

EXAMPLES = 8


async def test_gateway_routes_never_answer_5xx(
    gateway_settings: Callable[..., GatewaySettings],
) -> None:
    # The seeded admin must survive the fuzzing: deleting or demoting the last admin is refused,
    # and the password change would need the current password, which hypothesis does not guess.
    app = create_app(gateway_settings())
    spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
    spec["paths"] = {
        path: item for path, item in spec["paths"].items() if path.startswith("/api/v1/")
    }
    async with app.router.lifespan_context(app), serve(app) as base_url:  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=base_url) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
            )
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        calls, failures = await asyncio.to_thread(
            partial(find_server_errors, spec, base_url, examples=EXAMPLES, headers=admin)
        )
        assert calls > 50
        assert failures == []
