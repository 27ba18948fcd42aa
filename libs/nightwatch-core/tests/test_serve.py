"""`python -m nightwatch_core.serve`: the run command and the healthcheck every image and `make up`
use, as real processes over real sockets."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
from nightwatch_core.testing.served import served
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

# A service in miniature: a module with an app factory, as NIGHTWATCH_APP names one.
FACTORY_MODULE = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


def create_app():
    async def ready(request):
        return JSONResponse({"status": "ready"})

    return Starlette(routes=[Route("/health/ready", ready)])
"""


def readiness_app(status: int) -> Starlette:
    async def ready(request: object) -> JSONResponse:
        return JSONResponse({"status": status}, status_code=status)

    return Starlette(routes=[Route("/health/ready", ready)])


async def serve_command(*arguments: str, env: dict[str, str] | None = None) -> int:
    """Run the module and return its exit status, without blocking this loop (it serves)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nightwatch_core.serve", *arguments, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    return await asyncio.wait_for(process.wait(), timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_check_passes_only_when_ready_answers_200() -> None:
    async with served(readiness_app(200)) as ready:
        assert await serve_command("--check", "--port", str(ready.port)) == 0
    async with served(readiness_app(503)) as not_ready:
        assert await serve_command("--check", "--port", str(not_ready.port)) == 1
    assert await serve_command("--check", "--port", str(free_port())) == 1  # nothing listening


async def test_the_image_way_serves_the_factory_from_the_environment(tmp_path: Path) -> None:
    """No arguments: NIGHTWATCH_APP and NIGHTWATCH_PORT, as services/Dockerfile bakes them."""
    (tmp_path / "tiny_service.py").write_text(FACTORY_MODULE)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "NIGHTWATCH_APP": "tiny_service:create_app",
        "NIGHTWATCH_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nightwatch_core.serve", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(300):  # bounded: the interpreter and uvicorn start (< 30 s)
            if process.returncode is not None or await serve_command("--check", env=env) == 0:
                break
            await asyncio.sleep(0.1)
        assert process.returncode is None, "serve exited before it was ready"
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{port}/health/ready")
        assert answer.status_code == 200 and answer.json() == {"status": "ready"}
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    # A clean shutdown; uvicorn then re-raises the signal, as the uvicorn command does.
    assert b"Finished server process" in stderr, stderr
    assert process.returncode in (0, -signal.SIGTERM), stderr


async def test_missing_port_or_factory_is_a_usage_error() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIGHTWATCH_")}
    assert await serve_command("pkg.main:create_app", env=env) == 2
    assert await serve_command("--port", "8001", env=env) == 2
    assert await serve_command("--check", env=env) == 2
