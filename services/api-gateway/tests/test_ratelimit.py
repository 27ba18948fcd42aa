"""Rate limits: a burst gets 429 with Retry-After and RateLimit headers and recovers after the
window; unauthenticated attempts are limited per address; a shared Redis store makes two gateway
replicas count together."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from nightwatch_gateway.client_address import ClientAddresses, parse_trusted_proxies
from nightwatch_gateway.main import create_app
from nightwatch_gateway.settings import GatewaySettings

from .conftest import ADMIN, make_key

REDIS_URL = "redis://127.0.0.1:6379"
# The sliding window counter is exact within one window; across a window edge it weighs the last
# window's hits down (by design, no burst at the edge), so a count made across an edge lets one
# more through. Tests that count up to a per-minute limit start where the whole count fits.
COUNT_SECONDS = 20


async def one_window_ahead(window_seconds: float = 60, needed: float = COUNT_SECONDS) -> None:
    """Return when at least ``needed`` seconds are left in the current window (waits <= needed)."""
    left = window_seconds - time.time() % window_seconds
    if left < needed:
        await asyncio.sleep(left + 0.05)


async def test_burst_gets_429_with_headers_then_recovers(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    async with app_client(create_app(gateway_settings(rate_limit_read="5/second"))) as client:
        key = {"X-API-Key": (await make_key(client, role="viewer"))["key"]}
        statuses = [
            (await client.get("/api/v1/incidents", headers=key)).status_code for _ in range(12)
        ]
        assert statuses[:5] == [200] * 5
        assert 429 in statuses
        limited = await client.get("/api/v1/incidents", headers=key)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 1
        assert limited.headers["ratelimit-policy"] == "5;w=1"
        assert limited.headers["ratelimit"].startswith("limit=5, remaining=0, reset=")
        # Another identity is not affected.
        other = {"X-API-Key": (await make_key(client, role="viewer"))["key"]}
        assert (await client.get("/api/v1/incidents", headers=other)).status_code == 200
        recovered = False
        for _ in range(60):  # bounded: the window is 1 s, the sliding counter needs at most 2
            await asyncio.sleep(0.1)
            if (await client.get("/api/v1/incidents", headers=key)).status_code == 200:
                recovered = True
                break
        assert recovered
        metrics = (await client.get("/metrics")).text
        assert 'gateway_rate_limited_total{route_class="read"}' in metrics


async def test_unauthenticated_attempts_are_limited_per_address(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    settings = gateway_settings(
        rate_limit_unauthenticated="3/minute",
        rate_limit_login="2/minute",
        rate_limit_login_address="6/minute",
    )
    async with app_client(create_app(settings)) as client:
        await one_window_ahead()
        statuses = [
            (await client.get("/api/v1/incidents", headers={"X-API-Key": "nwk_guess"})).status_code
            for _ in range(5)
        ]
        assert statuses == [401, 401, 401, 429, 429]
        logins = [
            (
                await client.post(
                    "/api/v1/auth/login", json={"username": "admin", "password": "guess"}
                )
            ).status_code
            for _ in range(3)
        ]
        assert logins == [401, 401, 429]
        # Another name from the same address still gets its own attempts, up to the address limit.
        others = [
            (
                await client.post(
                    "/api/v1/auth/login", json={"username": f"u{i}", "password": "guess"}
                )
            ).status_code
            for i in range(5)
        ]
        assert others == [401, 401, 401, 401, 429]  # 2 + 4 attempts fill the address's 6


async def test_replicas_sharing_redis_count_together(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    settings = gateway_settings(rate_limit_storage_url=REDIS_URL, rate_limit_ingest="4/minute")
    async with (
        app_client(create_app(settings)) as first,
        app_client(create_app(settings)) as second,
    ):
        key = {"X-API-Key": (await make_key(first, permissions=["ingest"]))["key"]}
        await one_window_ahead()
        statuses = []
        for client in (first, second, first, second, first, second):
            statuses.append((await client.post("/api/v1/alerts", json={}, headers=key)).status_code)
        assert statuses == [201, 201, 201, 201, 429, 429]


async def test_store_outage_lets_requests_through(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings], down_url: str
) -> None:
    dead_redis = down_url.replace("http://", "redis://")
    settings = gateway_settings(rate_limit_storage_url=dead_redis, rate_limit_read="1/minute")
    async with app_client(create_app(settings)) as client:
        key = {"X-API-Key": (await make_key(client, role="viewer"))["key"]}
        for _ in range(3):
            assert (await client.get("/api/v1/incidents", headers=key)).status_code == 200


async def test_a_client_written_forwarded_for_does_not_dodge_the_login_limit(
    app_client: Callable[..., Any], gateway_settings: Callable[..., GatewaySettings]
) -> None:
    """Behind a trusted proxy (the in-process client is 127.0.0.1) the client is the address the
    proxy appended, the rightmost one: a new first entry per attempt is still the same client."""
    settings = gateway_settings(
        trust_forwarded_for=True,
        rate_limit_login="10/minute",
        rate_limit_login_address="100/minute",
    )
    async with app_client(create_app(settings)) as client:
        statuses = []
        for attempt in range(150):
            spoofed = {"X-Forwarded-For": f"10.9.{attempt // 250}.{attempt % 250}, 203.0.113.7"}
            answer = await client.post(
                "/api/v1/auth/login",
                json={"username": "admin", "password": "wrong"},
                headers=spoofed,
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                break
        assert statuses == [401] * 10 + [429]
        # Another client behind the same proxy is not locked out by the first one.
        other = await client.post(
            "/api/v1/auth/login",
            json={"username": ADMIN[0], "password": ADMIN[1]},
            headers={"X-Forwarded-For": "203.0.113.8"},
        )
        assert other.status_code == 200, other.text


def test_the_client_is_the_address_the_last_trusted_proxy_saw() -> None:
    addresses = ClientAddresses(parse_trusted_proxies("127.0.0.1, 10.0.0.0/8"))
    # Not from a proxy: the header is the client's own writing and is ignored.
    assert addresses.resolve("198.51.100.1", "1.2.3.4") == "198.51.100.1"
    # From the proxy: the proxy's entry, not the client-written first one.
    assert addresses.resolve("127.0.0.1", "1.2.3.4, 198.51.100.1") == "198.51.100.1"
    # Two trusted hops (nginx -> internal balancer -> gateway).
    assert addresses.resolve("127.0.0.1", "1.2.3.4, 198.51.100.1, 10.0.0.5") == "198.51.100.1"
    # No header, or only proxies in it.
    assert addresses.resolve("127.0.0.1", None) == "127.0.0.1"
    assert addresses.resolve("127.0.0.1", "10.0.0.5") == "10.0.0.5"
    # Nobody trusted: the peer, whatever the header says.
    assert ClientAddresses(()).resolve("127.0.0.1", "1.2.3.4") == "127.0.0.1"
