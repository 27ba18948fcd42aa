"""The benchmarks' load generator (bench/raw_http_load.py) against a loopback server that closes
every connection after its answer, as the nginx in front of `make up REPLICAS=N` does."""

from __future__ import annotations

import asyncio

import pytest

from bench.raw_http_load import drive

ANSWER = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n%s\r\n{}"


async def _drive_against(*, close_after_answer: bool) -> tuple[int, int, int]:
    """(answers counted ok, errors, connections the server accepted) for 7 POSTs."""
    accepted = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:  # the client is done
                return
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            header = b"Connection: close\r\n" if close_after_answer else b""
            writer.write(ANSWER % header)
            await writer.drain()
            if close_after_answer:
                writer.close()
                return

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await drive(
            "closing server",
            port,
            requests=7,
            connections=2,
            body_for=lambda i: b'{"i": %d}' % i,
            server_pid=None,
            max_seconds=10,
        )
    return result.alerts, result.errors, accepted


@pytest.mark.parametrize("close_after_answer", [True, False])
def test_every_request_is_answered_whether_or_not_the_server_keeps_the_connection(
    close_after_answer: bool,
) -> None:
    alerts, errors, connections = asyncio.run(_drive_against(close_after_answer=close_after_answer))
    assert (alerts, errors) == (7, 0)
    # A connection per request when the server closes; the two kept ones otherwise.
    assert connections == (7 if close_after_answer else 2)
