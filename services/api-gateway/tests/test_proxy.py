"""The proxy against a real upstream HTTP server: routing, the actor, request ids, streaming,
and fast 502/503/504 when a service is down or slow."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable
from typing import Any

import httpx
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings

from .conftest import admin_headers, make_account, make_key
from .upstream import BIG_RESPONSE_CHUNK, BIG_RESPONSE_CHUNKS


async def test_routes_to_the_owner_with_path_query_and_actor(gateway: httpx.AsyncClient) -> None:
    username, viewer = await make_account(gateway, "viewer")
    response = await gateway.get(
        "/api/v1/incidents?status=open&status=acknowledged",
        headers={**viewer, "X-Actor": "mallory", "X-Request-ID": "trace-123"},
    )
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == "/api/v1/incidents"
    assert echoed["query"] == "status=open&status=acknowledged"
    assert echoed["actors"] == [username]  # the client's X-Actor is replaced, never passed on
    assert echoed["request_id"] == "trace-123"
    assert echoed["authorization"] is None and echoed["api_key"] is None
    assert response.headers["x-request-id"] == "trace-123"
    assert response.headers.get_list("x-request-id") == ["trace-123"]
    assert response.headers["x-upstream"] == "echo"


async def test_forwards_with_the_stack_credential_never_the_clients(
    gateway: httpx.AsyncClient,
) -> None:
    """Issue #12: the services believe X-Actor only with the service credential, which the gateway
    adds to every forwarded request; a client's own X-Service-Token is dropped, never passed on."""
    stack_token = gateway.headers["X-Service-Token"]  # the test client holds the stack's too
    _, viewer = await make_account(gateway, "viewer")
    response = await gateway.get(
        "/api/v1/incidents", headers={**viewer, "X-Service-Token": "forged-by-the-client"}
    )
    assert response.status_code == 200
    assert response.json()["service_tokens"] == [stack_token]


async def test_request_id_is_minted_when_absent(gateway: httpx.AsyncClient) -> None:
    _, viewer = await make_account(gateway, "viewer")
    response = await gateway.get("/api/v1/teams", headers=viewer)
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_internal_and_unknown_routes_are_never_proxied(gateway: httpx.AsyncClient) -> None:
    admin = await admin_headers(gateway)
    for path in (
        "/internal/v1/incident-events",
        "/api/v1/nothing-here",
        "/api/v1/alertsx",
        "/api/v1/alerts/../../internal/v1/incident-events",
        "/api/v1/alerts/%2e%2e/%2e%2e/internal/v1/incident-events",
    ):
        response = await gateway.post(path, json={}, headers=admin)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


async def test_large_request_body_streams_through_intact(gateway: httpx.AsyncClient) -> None:
    admin = await admin_headers(gateway)
    payload = os.urandom(900_000)  # under the 1 MiB limit

    async def chunks() -> Any:
        for start in range(0, len(payload), 65_536):
            yield payload[start : start + 65_536]

    response = await gateway.post(
        "/api/v1/alerts/bulk",
        content=chunks(),
        headers={**admin, "content-type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["body_bytes"] == len(payload)
    assert response.json()["body_sha256"] == hashlib.sha256(payload).hexdigest()


async def test_over_limit_body_is_413(gateway: httpx.AsyncClient) -> None:
    key = await make_key(gateway, permissions=["ingest"])
    response = await gateway.post(
        "/api/v1/alerts", content=b"x" * (1_048_576 + 1), headers={"X-API-Key": key["key"]}
    )
    assert response.status_code == 413

    async def chunked() -> Any:
        for _ in range(20):
            yield b"y" * 65_536

    streamed = await gateway.post(
        "/api/v1/alerts", content=chunked(), headers={"X-API-Key": key["key"]}
    )
    assert streamed.status_code == 413


async def test_large_response_streams_back(gateway: httpx.AsyncClient) -> None:
    _, viewer = await make_account(gateway, "viewer")
    response = await gateway.get("/api/v1/alerts/big-response", headers=viewer)
    assert response.status_code == 200
    assert response.content == BIG_RESPONSE_CHUNK * BIG_RESPONSE_CHUNKS


async def test_stopped_service_is_a_fast_503_naming_it(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings], down_url: str
) -> None:
    settings = gateway_settings(oncall_url=down_url)
    async with app_client(create_app(settings)) as client:
        admin = await admin_headers(client)
        started = time.monotonic()
        response = await client.get("/api/v1/schedules", headers=admin)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        body = response.json()["error"]
        assert body["code"] == "upstream_unavailable"
        assert body["details"] == {"service": "oncall-escalation"}
        assert response.headers["retry-after"]
        assert elapsed < 5  # bounded by the connect timeout, not a hang
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["oncall-escalation"]["status"] == "failing"
        assert checks["alert-ingestion"] == {"status": "ok"}
        metrics = (await client.get("/metrics")).text
        assert (
            'gateway_requests_total{route_class="read",service="oncall-escalation",status="503"}'
            in metrics
        )


async def test_slow_service_is_a_504(gateway: httpx.AsyncClient) -> None:
    _, viewer = await make_account(gateway, "viewer")
    response = await gateway.get("/api/v1/incidents/slow", headers=viewer)
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


async def test_ready_when_every_service_is(gateway: httpx.AsyncClient) -> None:
    ready = await gateway.get("/health/ready")
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {
        "database",
        "alert-ingestion",
        "incident-management",
        "oncall-escalation",
        "notification",
    }


async def test_calendar_feed_url_needs_no_login_but_nothing_else_does(
    gateway: httpx.AsyncClient,
) -> None:
    """Calendar apps subscribe to a schedule's secret feed URL: GET on it passes without a
    credential, as the feed's own token; any other method or path still needs one."""
    feed = "/api/v1/calendars/Zx8_k2-Qa9PLm4rT7vW1yB3n.ics"
    response = await gateway.get(feed, headers={"X-Actor": "mallory"})
    assert response.status_code == 200
    assert response.json()["path"] == feed
    assert response.json()["actors"] == ["calendar-feed"]
    for method, path in (
        ("POST", feed),
        ("GET", "/api/v1/calendars/short.ics"),
        ("GET", "/api/v1/calendars/Zx8_k2-Qa9PLm4rT7vW1yB3n.ics/../x"),
        ("GET", "/api/v1/calendars"),
    ):
        refused = await gateway.request(method, path)
        assert refused.status_code in (401, 404), (method, path, refused.status_code)


async def test_heartbeat_ping_url_needs_no_login_but_nothing_else_does(
    gateway: httpx.AsyncClient,
) -> None:
    """Cron jobs ping with curl: GET, HEAD or POST on a heartbeat's ping URL passes without a
    credential (the key in it is checked by alert-ingestion); the rest of /heartbeats does not."""
    ping = "/api/v1/heartbeats/ping/nwh_Zx8_k2-Qa9PLm4rT7vW1yB3nQ"
    for method in ("GET", "POST"):
        response = await gateway.request(method, ping, headers={"X-Actor": "mallory"})
        assert response.status_code in (200, 201), (method, response.text)  # the stand-in's
        assert response.json()["path"] == ping
        assert response.json()["actors"] == ["heartbeat-ping"]
    for method, path in (
        ("DELETE", ping),
        ("GET", "/api/v1/heartbeats/ping/nwh_short"),
        ("GET", "/api/v1/heartbeats/ping/other_Zx8_k2-Qa9PLm4rT7vW1yB3nQ"),
        ("GET", ping + "/../../x"),
        ("GET", "/api/v1/heartbeats"),
    ):
        refused = await gateway.request(method, path)
        assert refused.status_code in (401, 404), (method, path, refused.status_code)


async def test_concurrent_requests_through_the_sharded_pool_all_arrive_intact(
    gateway: httpx.AsyncClient,
) -> None:
    """The proxy's pool is several small ones taken in turn (httpcore's pool scan grows with the
    square of its size): 60 requests at once each come back with their own answer."""
    _, viewer = await make_account(gateway, "viewer")
    responses = await asyncio.gather(
        *(gateway.get(f"/api/v1/incidents?n={n}", headers=viewer) for n in range(60))
    )
    assert [r.status_code for r in responses] == [200] * 60
    assert [r.json()["query"] for r in responses] == [f"n={n}" for n in range(60)]


async def test_sharded_transport_keeps_the_total_and_takes_pools_in_turn() -> None:
    from nightwatch_gateway.proxy.transport import SHARD_CONNECTIONS, ShardedTransport

    transport = ShardedTransport(max_connections=200, keepalive_expiry=2.0)
    assert transport.shards == 25 and transport.shards * SHARD_CONNECTIONS >= 200
    taken = [next(transport._next) for _ in range(2 * transport.shards)]
    assert len({id(shard) for shard in taken}) == transport.shards
    await transport.aclose()
    assert ShardedTransport(max_connections=3, keepalive_expiry=2.0).shards == 1
