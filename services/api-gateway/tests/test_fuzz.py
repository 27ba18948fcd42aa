"""Schemathesis over the gateway's own routes (auth, accounts, API keys) as an admin (who gets
past authentication to the validation and the database), over real HTTP: valid and invalid
requests never give a 5xx."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

import httpx
import schemathesis
from fastapi.openapi.utils import get_openapi
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings
from schemathesis import GenerationMode

from .conftest import ADMIN
from .upstream import serve

EXAMPLES = 8


def _fuzz(spec: dict[str, Any], base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    schema = schemathesis.openapi.from_dict(spec)
    failures: list[str] = []
    calls = [0]
    for result, mode in itertools.product(
        list(schema.get_all_operations()), [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    ):
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=10)
            calls[0] += 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code} {response.text[:300]}"
                )

        with contextlib.suppress(Unsatisfiable):
            check()
    return calls[0], failures


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
        calls, failures = await asyncio.to_thread(_fuzz, spec, base_url, admin)
        assert calls > 50
        assert failures == []
