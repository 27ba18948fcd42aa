"""The lean upstream client against a real HTTP server on loopback (uvicorn) and raw sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from nightwatch_core.testing.held_answers import until_the_caller_hangs_up
from nightwatch_core.testing.served import served as serve_app
from nightwatch_core.upstream import (
    UpstreamBroken,
    UpstreamPool,
    UpstreamTimeout,
    UpstreamUnavailable,
    request_bytes,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

peers: list[tuple[str, int]] = []


async def echo(request: Request) -> Response:
    peers.append(request.scope["client"])
    body = await request.body()
    return JSONResponse(
        {
            "path": request.url.path,
            "query": request.url.query,
            "body": body.decode(),
            "header": request.headers.get("x-thing"),
        },
        status_code=201,
        headers={"x-upstream": "echo"},
    )


async def chunked(_: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"one,", b"two,", b"three"):
            yield part

    return StreamingResponse(parts(), media_type="text/plain")


async def slow(request: Request) -> Response:
    await until_the_caller_hangs_up(request)  # past the pool's deadline, on any machine
    return Response(b"late")


async def closing(_: Request) -> Response:
    return Response(b"bye", headers={"connection": "close"})


APP = Starlette(
    routes=[
        Route("/chunked", chunked),
        Route("/slow", slow),
        Route("/closing", closing),
        Route("/{path:path}", echo, methods=["GET", "POST"]),
    ]
)


@contextlib.asynccontextmanager
async def served() -> AsyncIterator[int]:
    async with serve_app(APP) as upstream:
        yield upstream.port


def pool_for(port: int, **options: float) -> UpstreamPool:
    defaults = {"max_connections": 4, "keepalive_seconds": 2.0, "connect_timeout": 1.0}
    return UpstreamPool("127.0.0.1", port, **{**defaults, **options})  # type: ignore[arg-type]


def get(path: str, *, method: str = "GET", body: bytes = b"", headers=()) -> bytes:  # type: ignore[no-untyped-def]
    return request_bytes(method, path.encode(), host=b"upstream", headers=list(headers), body=body)


async def test_post_with_query_headers_and_body_and_keep_alive_reuse() -> None:
    async with served() as port:
        pool = pool_for(port)
        peers.clear()
        for n in range(3):
            answer = await pool.request(
                get(
                    "/api/v1/alerts?x=1",
                    method="POST",
                    body=b'{"n": %d}' % n,
                    headers=[(b"x-thing", b"yes"), (b"content-type", b"application/json")],
                ),
                answer_within=5,
            )
            assert answer.status == 201
            assert (b"x-upstream", b"echo") in answer.headers
            assert answer.body == (
                b'{"path":"/api/v1/alerts","query":"x=1","body":"{\\"n\\": %d}","header":"yes"}' % n
            )
        assert len(set(peers)) == 1  # one connection, kept alive for all three
        await pool.aclose()


async def test_chunked_answer_is_read_whole() -> None:
    async with served() as port:
        pool = pool_for(port)
        answer = await pool.request(get("/chunked"), answer_within=5)
        assert (answer.status, answer.body) == (200, b"one,two,three")
        await pool.aclose()


async def test_server_closing_after_answer_opens_a_new_connection() -> None:
    async with served() as port:
        pool = pool_for(port)
        peers.clear()
        assert (await pool.request(get("/closing"), answer_within=5)).body == b"bye"
        assert (await pool.request(get("/a"), answer_within=5)).status == 201
        assert (await pool.request(get("/b"), answer_within=5)).status == 201
        assert len(set(peers)) == 1  # the closed one was not reused; the new one was
        await pool.aclose()


async def test_refused_connection_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UpstreamUnavailable):
        await pool_for(port).request(get("/"), answer_within=5)


async def test_no_answer_in_time_is_a_timeout_and_the_connection_is_dropped() -> None:
    async with served() as port:
        pool = pool_for(port)
        with pytest.raises(UpstreamTimeout):
            await pool.request(get("/slow"), answer_within=0.2)
        assert (await pool.request(get("/after"), answer_within=5)).status == 201
        await pool.aclose()


async def test_too_large_an_answer_is_broken() -> None:
    async with served() as port:
        pool = pool_for(port, max_response_bytes=8)
        with pytest.raises(UpstreamBroken, match="larger than 8 bytes"):
            await pool.request(get("/chunked"), answer_within=5)
        await pool.aclose()


@contextlib.asynccontextmanager
async def raw_server(answers: list[bytes]) -> AsyncIterator[tuple[int, list[bytes]]]:
    """Answers the n-th connection's first request with answers[n] (b"" = close unanswered)."""
    received: list[bytes] = []
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        answer = answers[min(connections, len(answers) - 1)]
        connections += 1
        received.append(await reader.readuntil(b"\r\n\r\n"))
        if answer:
            writer.write(answer)
            await writer.drain()
            received.append(await reader.readuntil(b"\r\n\r\n"))  # the next request, then close
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], received
    finally:
        server.close()


OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


async def test_a_pooled_connection_closed_unanswered_is_retried_only_when_allowed() -> None:
    # The server answers the first request, then closes the kept-alive connection on the next
    # one without a byte: a safe method is sent again on a fresh connection; a POST is not.
    async with raw_server([OK, OK, OK]) as (port, received):
        pool = pool_for(port)
        assert (await pool.request(get("/1"), answer_within=5)).body == b"ok"
        answer = await pool.request(get("/2"), answer_within=5, retry_if_unanswered=True)
        assert answer.body == b"ok"
        assert [r.split(b" ")[1] for r in received] == [b"/1", b"/2", b"/2"]
        await pool.aclose()
    async with raw_server([OK, OK]) as (port, received):
        pool = pool_for(port)
        await pool.request(get("/1"), answer_within=5)
        with pytest.raises(UpstreamBroken, match="closed the connection"):
            await pool.request(get("/2", method="POST"), answer_within=5)
        await pool.aclose()


async def test_malformed_answer_is_broken() -> None:
    async with raw_server([b"NOT HTTP AT ALL\r\n\r\n"]) as (port, _):
        with pytest.raises(UpstreamBroken, match="malformed"):
            await pool_for(port).request(get("/"), answer_within=5)


def test_header_values_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        request_bytes("GET", b"/", host=b"h", headers=[(b"x-actor", b"a\r\nx-admin: 1")], body=b"")


async def test_waiting_for_a_free_connection_is_bounded_too() -> None:
    async with served() as port:
        pool = pool_for(port, max_connections=1)
        busy = asyncio.create_task(pool.request(get("/slow"), answer_within=5))
        await asyncio.sleep(0.05)
        with pytest.raises(UpstreamTimeout, match="no free connection"):
            await pool.request(get("/a"), answer_within=0.2)
        busy.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await busy
        assert (await pool.request(get("/b"), answer_within=5)).status == 201  # slot given back
        await pool.aclose()
