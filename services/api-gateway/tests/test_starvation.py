"""One caller cannot starve the others (issue #12, finding 3): slow-body requests from one key
used to hold every upstream connection (everyone else 504, readiness 503). Now the body is read
before a connection is taken, within a timeout, and requests in flight are capped per credential
and per address below the pool's size."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from nightwatch_gateway.main import create_app
from nightwatch_gateway.proxy.admission import RefusalPacer
from nightwatch_gateway.settings import GatewaySettings
from prometheus_client import REGISTRY

from .conftest import make_key
from .test_ratelimit import REDIS_URL
from .upstream import serve

ATTACKERS = 20
STORE_ERRORS = "gateway_in_flight_store_errors_total"


async def _slow_post(host: str, port: int, key: str) -> tuple[asyncio.StreamReader, Any]:
    """Headers announce 1000 bytes of body; one is sent, the rest never comes."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        b"POST /api/v1/alerts HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        + f"X-API-Key: {key}\r\n".encode()
        + b"Content-Length: 1000\r\n\r\n{"
    )
    await writer.drain()
    return reader, writer


async def _status_if_answered(reader: asyncio.StreamReader) -> int | None:
    try:
        line = await asyncio.wait_for(reader.readline(), timeout=2)
    except TimeoutError:
        return None
    return int(line.split()[1]) if line else None


async def test_slow_bodies_from_one_key_leave_the_pool_to_everyone_else(
    gateway_settings: Callable[..., GatewaySettings],
) -> None:
    settings = gateway_settings(
        proxy_max_connections=8,
        max_in_flight_per_credential=4,
        max_in_flight_per_address=6,
        request_body_timeout_seconds=30,
        proxy_timeout_seconds=2,
    )
    async with serve(create_app(settings), lifespan="on") as url:
        host, port = url.removeprefix("http://").split(":")
        async with httpx.AsyncClient(base_url=url, timeout=10) as setup:
            attacker_key = (await make_key(setup, permissions=["ingest"]))["key"]
            viewer_key = (await make_key(setup, role="viewer"))["key"]

        held = [await _slow_post(host, int(port), attacker_key) for _ in range(ATTACKERS)]
        try:
            # Someone else, from another address, while the slow bodies are held.
            elsewhere = httpx.AsyncHTTPTransport(local_address="127.0.0.3")
            async with httpx.AsyncClient(base_url=url, transport=elsewhere, timeout=10) as other:
                for _ in range(3):  # each round as many at once as the cap lets one key
                    answers = await asyncio.gather(
                        *(
                            other.get("/api/v1/incidents", headers={"X-API-Key": viewer_key})
                            for _ in range(4)
                        )
                    )
                    assert [a.status_code for a in answers] == [200] * 4
                ready = await other.get("/health/ready")
                assert ready.status_code == 200, ready.text
            statuses = await asyncio.gather(*(_status_if_answered(r) for r, _ in held))
            # Four admitted, waiting for their bodies; every other one refused at once.
            assert sorted(statuses, key=str) == [429] * (ATTACKERS - 4) + [None] * 4
        finally:
            for _, writer in held:
                writer.close()


async def test_a_body_that_does_not_arrive_in_time_is_408(
    gateway_settings: Callable[..., GatewaySettings],
) -> None:
    settings = gateway_settings(request_body_timeout_seconds=0.5)
    async with serve(create_app(settings), lifespan="on") as url:
        host, port = url.removeprefix("http://").split(":")
        async with httpx.AsyncClient(base_url=url, timeout=10) as setup:
            key = (await make_key(setup, permissions=["ingest"]))["key"]
        reader, writer = await _slow_post(host, int(port), key)
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=10)
            assert line.split()[1] == b"408", line
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                metrics = (await client.get("/metrics")).text
            assert "gateway_request_body_timeouts_total 1.0" in metrics
        finally:
            writer.close()


def _complete(writer: Any) -> None:
    """The other 999 bytes of a `_slow_post` body: `{"message": "xxx…"}`."""
    rest = b'"message": "' + b"x" * (999 - len(b'"message": "') - 2) + b'"}'
    writer.write(rest)


async def test_replicas_sharing_redis_hold_one_cap_per_credential(
    gateway_settings: Callable[..., GatewaySettings],
) -> None:
    """Two gateway processes, one Redis: a key's slots taken on one replica are gone on the
    other (counted per process, it would get the cap on each); answered requests give theirs
    back."""
    settings = gateway_settings(
        proxy_max_connections=8,
        max_in_flight_per_credential=4,
        max_in_flight_per_address=7,
        request_body_timeout_seconds=30,
        rate_limit_storage_url=REDIS_URL,
        in_flight_namespace=f"test-{uuid.uuid4().hex}",
    )
    async with (
        serve(create_app(settings), lifespan="on") as first,
        serve(create_app(settings), lifespan="on") as second,
    ):
        host, port = first.removeprefix("http://").split(":")
        async with httpx.AsyncClient(base_url=first, timeout=10) as setup:
            key = (await make_key(setup, permissions=["ingest"]))["key"]
        held = [await _slow_post(host, int(port), key) for _ in range(4)]
        async with httpx.AsyncClient(base_url=second, timeout=10) as other:
            alert = {"json": {"message": "m"}, "headers": {"X-API-Key": key}}
            refused = await other.post("/api/v1/alerts", **alert)
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "too_many_in_flight"
            for _, writer in held:
                _complete(writer)
            answers = await asyncio.gather(*(_status_if_answered(r) for r, _ in held))
            assert answers == [201] * 4
            assert (await other.post("/api/v1/alerts", **alert)).status_code == 201
        for _, writer in held:
            writer.close()


async def test_without_the_shared_store_each_process_still_counts(
    gateway_settings: Callable[..., GatewaySettings], down_url: str
) -> None:
    settings = gateway_settings(
        proxy_max_connections=8,
        max_in_flight_per_credential=4,
        max_in_flight_per_address=7,
        request_body_timeout_seconds=30,
        rate_limit_storage_url=down_url.replace("http://", "redis://"),
    )
    async with serve(create_app(settings), lifespan="on") as url:
        host, port = url.removeprefix("http://").split(":")
        async with httpx.AsyncClient(base_url=url, timeout=10) as setup:
            key = (await make_key(setup, permissions=["ingest"]))["key"]
        errors_before = REGISTRY.get_sample_value(STORE_ERRORS) or 0
        held = [await _slow_post(host, int(port), key) for _ in range(6)]
        try:
            statuses = await asyncio.gather(*(_status_if_answered(r) for r, _ in held))
            assert sorted(statuses, key=str) == [429] * 2 + [None] * 4
            # Counted by the process alone: 6 by address, then 4 by credential (the store was
            # asked once; after that failure it is left alone for a few seconds).
            assert REGISTRY.get_sample_value(STORE_ERRORS) == errors_before + 10
        finally:
            for _, writer in held:
                writer.close()


async def test_refusals_wait_before_they_are_answered_a_bounded_number_at_once() -> None:
    """A caller that sends again the moment it is refused gets one answer per delay and
    connection, not thousands a second; past `max_waiting` refusals are answered at once."""
    pacer = RefusalPacer(delay=60, max_waiting=2)
    waiting = [asyncio.create_task(pacer.pace()) for _ in range(2)]
    await asyncio.sleep(0)
    assert pacer.waiting == 2 and not any(task.done() for task in waiting)
    await asyncio.wait_for(pacer.pace(), timeout=5)  # the third is not held back
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    assert pacer.waiting == 0
    await asyncio.wait_for(RefusalPacer(delay=0, max_waiting=2).pace(), timeout=5)
