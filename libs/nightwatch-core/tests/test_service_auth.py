"""Issue #12, finding 1: a service answers only holders of the stack's service credential, and
anonymous callers only on loopback while the development convenience is on."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.http_client import ServiceClient
from nightwatch_core.secrets import SERVICE_TOKEN, shared_secret
from nightwatch_core.service_auth import ANONYMOUS_LOOPBACK_ACTOR, SERVICE_TOKEN_HEADER
from nightwatch_core.settings import ServiceSettings


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/api/v1/things")
    async def change(request: Request) -> dict[str, str | None]:
        return {"actor": request.headers.get("x-actor")}

    @router.post("/internal/v1/things")
    async def internal(request: Request) -> dict[str, str | None]:
        return {"actor": request.headers.get("x-actor")}

    return router


def _app(make_settings: Any, **settings: Any) -> FastAPI:
    return create_service_app(
        title="guarded",
        settings=make_settings(ServiceSettings, service_name="guarded", **settings),
        routers=[_router()],
    )


@contextlib.asynccontextmanager
async def _caller(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client without the credential, connecting from ``address``."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            yield client


async def test_without_the_credential_nothing_but_probes_answers(make_settings: Any) -> None:
    app = _app(make_settings)  # the default: no anonymous convenience (compose, Kubernetes)
    async with _caller(app, "127.0.0.1") as client:
        for path in ("/api/v1/things", "/internal/v1/things"):
            response = await client.post(path, headers={"X-Actor": "mallory"})
            assert response.status_code == 401, path
            assert response.json()["error"]["code"] == "service_credential_required"
            assert SERVICE_TOKEN_HEADER in response.json()["error"]["message"]
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200


async def test_the_credential_carries_the_actor(make_settings: Any) -> None:
    app = _app(make_settings)
    async with _caller(app, "10.1.2.3") as client:
        token = app.state.service_credential.value
        good = {SERVICE_TOKEN_HEADER: token, "X-Actor": "alice"}
        for path in ("/api/v1/things", "/internal/v1/things"):
            response = await client.post(path, headers=good)
            assert response.status_code == 200, response.text
            assert response.json() == {"actor": "alice"}
        wrong = {SERVICE_TOKEN_HEADER: token[:-1] + ("x" if token[-1] != "x" else "y")}
        refused = await client.post("/api/v1/things", headers=wrong)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "service_credential_invalid"


async def test_loopback_convenience_is_anonymous_and_api_only(make_settings: Any) -> None:
    app = _app(make_settings, anonymous_loopback=True)
    for loopback in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        async with _caller(app, loopback) as client:
            response = await client.post("/api/v1/things")
            assert response.status_code == 200, loopback
            assert response.json() == {"actor": ANONYMOUS_LOOPBACK_ACTOR}
            # Claiming to be someone, or reaching the service-to-service routes, needs the credential.
            forged = await client.post("/api/v1/things", headers={"X-Actor": "admin"})
            assert forged.status_code == 401
            assert (await client.post("/internal/v1/things")).status_code == 401


async def test_loopback_convenience_never_serves_another_address(make_settings: Any) -> None:
    app = _app(make_settings, anonymous_loopback=True)
    for address in ("10.0.0.7", "172.18.0.3", "192.168.1.20", "2001:db8::1"):
        async with _caller(app, address) as client:
            response = await client.post("/api/v1/things")
            assert response.status_code == 401, address


async def test_the_token_is_generated_once_and_kept_with_the_data(
    make_settings: Any, database_url: str
) -> None:
    first, second = _app(make_settings), _app(make_settings)
    async with _caller(first, "127.0.0.1"), _caller(second, "127.0.0.1"):
        assert first.state.service_credential.value == second.state.service_credential.value
        assert len(first.state.service_credential.value) >= 40
    assert await shared_secret(database_url, SERVICE_TOKEN) == first.state.service_credential.value


async def test_a_configured_token_wins(make_settings: Any) -> None:
    configured = "c" * 48
    app = _app(make_settings, service_token=configured)
    async with _caller(app, "10.0.0.1") as client:
        ok = await client.post("/api/v1/things", headers={SERVICE_TOKEN_HEADER: configured})
        assert ok.status_code == 200


async def test_the_core_client_carries_the_credential(make_settings: Any) -> None:
    app = _app(make_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.9.9.9", 1))
        client = ServiceClient(
            "http://svc", transport=transport, credential=app.state.service_credential
        )
        try:
            response = await client.post("/internal/v1/things", json={})
            assert response.status_code == 200
        finally:
            await client.aclose()


async def test_a_service_started_without_its_database_refuses_with_503_not_401(
    make_settings: Any,
) -> None:
    with socket.socket() as sock:  # a port nothing listens on: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ServiceSettings(
        service_name="guarded", database_url=f"postgresql://postgres@127.0.0.1:{port}/x"
    )
    app = create_service_app(title="guarded", settings=settings, routers=[_router()])
    async with _caller(app, "10.0.0.1") as client:
        response = await client.post("/api/v1/things", headers={SERVICE_TOKEN_HEADER: "x" * 40})
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert response.json()["error"]["code"] == "database_unavailable"
