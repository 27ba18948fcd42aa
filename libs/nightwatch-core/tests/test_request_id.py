from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.http_client import ServiceClient
from nightwatch_core.settings import ServiceSettings
from nightwatch_core.structured_logging import JsonFormatter


async def test_incoming_request_id_is_returned(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        response = await client.get("/items/5", headers={"X-Request-ID": "req-123"})
        assert response.headers["x-request-id"] == "req-123"


async def test_request_id_is_minted_when_missing(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        first = (await client.get("/items/5")).headers["x-request-id"]
        second = (await client.get("/items/5")).headers["x-request-id"]
        assert len(first) == 32 and first != second


async def test_unprintable_request_id_is_replaced(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        response = await client.get("/items/5", headers={"X-Request-ID": "x" * 500})
        assert response.headers["x-request-id"] != "x" * 500


async def test_request_id_propagates_across_service_calls(
    make_settings: Any, app_client: Any
) -> None:
    """Service A calls service B with the shared client: B sees A's request id."""
    seen: list[str | None] = []
    downstream_router = APIRouter()

    @downstream_router.get("/whoami")
    async def whoami(request: Request) -> dict[str, str]:
        seen.append(request.headers.get("x-request-id"))
        return {"ok": "yes"}

    downstream = create_service_app(
        title="b",
        settings=make_settings(ServiceSettings, service_name="b"),
        routers=[downstream_router],
    )
    upstream_router = APIRouter()

    @upstream_router.get("/call")
    async def call(request: Request) -> dict[str, Any]:
        response = await request.app.state.downstream.get("/whoami")
        return response.json()

    upstream = create_service_app(
        title="a",
        settings=make_settings(ServiceSettings, service_name="a"),
        routers=[upstream_router],
    )
    async with app_client(downstream):
        upstream.state.downstream = ServiceClient(
            "http://b",
            transport=httpx.ASGITransport(app=downstream),
            credential=upstream.state.service_credential,
        )
        async with app_client(upstream) as client:
            response = await client.get("/call", headers={"X-Request-ID": "trace-42"})
        await upstream.state.downstream.aclose()
    assert response.json() == {"ok": "yes"}
    assert seen == ["trace-42"]


def test_json_log_lines_carry_the_request_id() -> None:
    from nightwatch_core.request_context import request_id_var

    formatter = JsonFormatter("svc")
    token = request_id_var.set("rid-7")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
        record.incident_id = "abc"
        line = json.loads(formatter.format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "hello you"
    assert line["request_id"] == "rid-7"
    assert line["service"] == "svc"
    assert line["incident_id"] == "abc"
    assert line["level"] == "info"


@pytest.mark.parametrize("status", [503, 502])
async def test_idempotent_calls_retry_on_upstream_failure(status: int) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(status if calls < 3 else 200, json={"n": calls})

    client = ServiceClient(
        "http://x", retries=2, backoff_seconds=0, transport=httpx.MockTransport(handler)
    )
    response = await client.get("/thing")
    await client.aclose()
    assert response.status_code == 200 and calls == 3


async def test_post_without_idempotency_key_is_not_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503)

    client = ServiceClient(
        "http://x", retries=3, backoff_seconds=0, transport=httpx.MockTransport(handler)
    )
    response = await client.post("/create", json={})
    assert response.status_code == 503 and calls == 1
    response = await client.post("/create", json={}, idempotency_key="k1")
    assert calls == 1 + 4
    await client.aclose()


async def test_retries_are_bounded_on_connection_errors() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused")

    client = ServiceClient(
        "http://x", retries=2, backoff_seconds=0, transport=httpx.MockTransport(handler)
    )
    with pytest.raises(httpx.ConnectError):
        await client.get("/thing")
    await client.aclose()
    assert calls == 3
