"""The alert path's fast lane answers exactly as the proxy route does, and a busy credential's
verification is shared by the requests in flight."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from nightwatch_core.testing.statements import counted_statements
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings

from .conftest import make_account, make_key

VOLATILE = {"x-request-id", "date", "content-length"}


@contextlib.asynccontextmanager
async def both(
    app_client: Callable[..., Any], settings: GatewaySettings
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The gateway with its fast lane, and the same gateway serving the path by its route."""
    laned, plain = create_app(settings), create_app(settings)
    assert laned._lanes  # type: ignore[attr-defined]
    plain._lanes.clear()  # type: ignore[attr-defined]
    async with app_client(laned) as with_lane, app_client(plain) as without:
        yield with_lane, without


def comparable(response: httpx.Response) -> tuple[int, Any, list[tuple[str, str]]]:
    body = response.json()
    if isinstance(body, dict):
        body.pop("request_id", None)
        if isinstance(body.get("error"), dict):
            body["error"].pop("request_id", None)
    headers = sorted((k, v) for k, v in response.headers.multi_items() if k not in VOLATILE)
    return response.status_code, body, headers


async def test_lane_and_route_answer_the_same(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    async with both(app_client, gateway_settings()) as (lane, route):
        ingest = (await make_key(lane, permissions=["ingest"]))["key"]
        _, viewer = await make_account(lane, "viewer")
        cases: list[dict[str, Any]] = [
            {"json": {"service": "api", "severity": "high"}, "headers": {"X-API-Key": ingest}},
            {
                "json": [{"service": "api"}],
                "headers": {"Authorization": f"Bearer {ingest}", "X-Actor": "mallory"},
            },
            {"content": b"{not json", "headers": {"X-API-Key": ingest}},
            {"json": {"service": "api"}},  # no credential: 401
            {"json": {"service": "api"}, "headers": {"X-API-Key": "nwk_unknown_key"}},
            {"json": {"service": "api"}, "headers": viewer},  # a viewer may not ingest: 403
            {"json": {"service": "api"}, "headers": {"Authorization": "Basic abc"}},
            {"json": {"service": "a\u0000pi"}, "headers": {"X-API-Key": ingest}},  # NUL byte
            {"json": {"service": 5, "labels": ["x"]}, "headers": {"X-API-Key": ingest}},
            {"content": b"", "headers": {"X-API-Key": ingest}},
            {"content": b'{"service": "api"}', "headers": {"X-API-Key": ingest}},  # no type
            {
                "content": b'{"service": "api"}',
                "headers": {"X-API-Key": ingest, "Content-Type": "text/plain"},
            },
            {"content": b"x" * 2_000_000, "headers": {"X-API-Key": ingest}},  # over the limit
            {"content": b"x" * 2_000_000},  # over the limit, no credential
            {"json": {"service": "api"}, "headers": {"X-API-Key": "nwk_\u0000"}},
        ]
        for case in cases:
            answers = [
                await client.post("/api/v1/alerts?source=test", **case) for client in (lane, route)
            ]
            assert comparable(answers[0]) == comparable(answers[1]), case
        echoed = (await lane.post("/api/v1/alerts", json={}, headers={"X-API-Key": ingest})).json()
        assert echoed["actors"] == [echoed["actor"]] and echoed["actor"].startswith("api-key:")
        assert echoed["api_key"] is None and echoed["authorization"] is None
        assert echoed["service_tokens"] == [lane.headers["X-Service-Token"]]


async def test_lane_answers_503_and_504_like_the_route(
    app_client: Callable[..., Any],
    gateway_settings: Callable[..., GatewaySettings],
    down_url: str,
) -> None:
    for settings, status in (
        (gateway_settings(alert_ingestion_url=down_url), 503),
        (gateway_settings(proxy_timeout_seconds=0.05), None),
    ):
        async with both(app_client, settings) as (lane, route):
            ingest = (await make_key(lane, permissions=["ingest"]))["key"]
            answers = [
                await c.post("/api/v1/alerts", json={}, headers={"X-API-Key": ingest})
                for c in (lane, route)
            ]
            assert comparable(answers[0]) == comparable(answers[1])
            if status is not None:
                assert answers[0].status_code == status
                metrics = (await lane.get("/metrics")).text
                assert 'service="alert-ingestion",status="503"' in metrics


async def test_concurrent_requests_share_one_verification_of_their_key(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    settings = gateway_settings()
    app = create_app(settings)
    async with app_client(app) as gateway:
        ingest = (await make_key(gateway, permissions=["ingest"]))["key"]
        with counted_statements(app) as statements:
            answers = await asyncio.gather(
                *(
                    gateway.post("/api/v1/alerts", json={}, headers={"X-API-Key": ingest})
                    for _ in range(20)
                )
            )
        assert [a.status_code for a in answers] == [201] * 20
        lookups = [
            s for s in statements if "api_keys" in s and s.lstrip().upper().startswith("SELECT")
        ]
        assert len(lookups) == 1, statements
