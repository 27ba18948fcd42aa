"""Serve an ASGI app over real HTTP on loopback, in the test's own event loop.

For stand-in neighbours (a recorder, a webhook receiver, an upstream that misbehaves) and for
tests of the HTTP layer itself: a real socket and real uvicorn, never a transport mock.

    async with served(app) as upstream:
        ... upstream.url / upstream.port ...

``start_serving`` returns the running server for tests that stop it and start it again on the
same port (a neighbour that goes down and comes back).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import uvicorn

START_TIMEOUT_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 10.0


@dataclass
class ServedApp:
    server: uvicorn.Server
    task: asyncio.Task[None]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        """Stop listening (new connections are refused) and finish the requests in flight."""
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, timeout=STOP_TIMEOUT_SECONDS)


async def start_serving(
    app: Any,
    *,
    port: int = 0,
    lifespan: Literal["on", "off"] = "off",
    http: Any = "auto",
    graceful_shutdown_seconds: int | None = None,
) -> ServedApp:
    """Serve ``app`` on 127.0.0.1 (a free port unless ``port`` is given, reusable at once)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan=lifespan,
        http=http,
        timeout_graceful_shutdown=graceful_shutdown_seconds,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(int(START_TIMEOUT_SECONDS / 0.01)):  # uvicorn offers no "started" event
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        server.should_exit = True
        if task.done():
            task.result()  # the server's own error (an app that fails its lifespan startup)
        sock.close()
        raise RuntimeError(f"the test HTTP server did not start within {START_TIMEOUT_SECONDS} s")
    return ServedApp(server=server, task=task, port=sock.getsockname()[1])


@contextlib.asynccontextmanager
async def served(app: Any, **options: Any) -> AsyncIterator[ServedApp]:
    """``start_serving(app, **options)``, stopped when the block ends."""
    running = await start_serving(app, **options)
    try:
        yield running
    finally:
        await running.stop()
