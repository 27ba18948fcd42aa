"""A small real upstream for the gateway tests: an HTTP server on a free loopback port that
echoes what reached it, streams a large answer, answers slowly, and serves an OpenAPI document."""

from __future__ import annotations

import contextlib
import hashlib
import socket
from collections.abc import AsyncIterator
from typing import Literal

from nightwatch_core.testing.held_answers import until_the_caller_hangs_up
from nightwatch_core.testing.served import served
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

BIG_RESPONSE_CHUNKS = 64
BIG_RESPONSE_CHUNK = b"x" * 32_768  # 2 MiB in all
UPSTREAM_OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "upstream", "version": "1"},
    "paths": {
        "/api/v1/alerts": {
            "post": {
                "summary": "Receive an alert",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/AlertCreate"}}
                    }
                },
                "responses": {"201": {"description": "created"}},
            }
        },
        "/internal/v1/incident-events": {"post": {"responses": {"200": {"description": "ok"}}}},
        "/health": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
    "components": {
        "schemas": {
            "AlertCreate": {"type": "object", "properties": {"service": {"type": "string"}}}
        }
    },
}


async def echo(request: Request) -> Response:
    body = hashlib.sha256()
    size = 0
    async for chunk in request.stream():
        body.update(chunk)
        size += len(chunk)
    headers = request.headers
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "actor": headers.get("x-actor"),
            "actors": headers.getlist("x-actor"),
            "service_tokens": headers.getlist("x-service-token"),
            "request_id": headers.get("x-request-id"),
            "authorization": headers.get("authorization"),
            "api_key": headers.get("x-api-key"),
            "integration_key": headers.get("x-integration-key"),
            "idempotency_key": headers.get("idempotency-key"),
            "body_bytes": size,
            "body_sha256": body.hexdigest(),
        },
        status_code=201 if request.method == "POST" else 200,
        headers={"x-upstream": "echo", "x-request-id": "upstream-must-not-leak"},
    )


async def big(_: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(BIG_RESPONSE_CHUNKS):
            yield BIG_RESPONSE_CHUNK

    return StreamingResponse(chunks(), media_type="application/octet-stream")


SSE_EVENTS = (b"event: ready\ndata: {}\n\n", b"event: incidents\ndata: {}\n\n")


async def events(_: Request) -> Response:
    """A short event stream (no length: the gateway streams it)."""

    async def chunks() -> AsyncIterator[bytes]:
        for event in SSE_EVENTS:
            yield event

    return StreamingResponse(chunks(), media_type="text/event-stream")


async def slow(request: Request) -> Response:
    await until_the_caller_hangs_up(request)  # past the gateway's timeout, on any machine
    return JSONResponse({"late": True})


async def ready(_: Request) -> Response:
    return JSONResponse({"status": "ready"})


async def openapi(_: Request) -> Response:
    return JSONResponse(UPSTREAM_OPENAPI)


def upstream_app() -> Starlette:
    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/health/ready", ready),
            Route("/openapi.json", openapi),
            Route("/api/v1/alerts/big-response", big),
            Route("/api/v1/incidents/slow", slow),
            Route("/api/v1/incidents/events", events),
            Route("/{path:path}", echo, methods=methods),
        ]
    )


@contextlib.asynccontextmanager
async def serve(app: Starlette, *, lifespan: Literal["on", "off"] = "off") -> AsyncIterator[str]:
    """Serve an ASGI app over real HTTP on a free loopback port; yields its base URL."""
    async with served(app, lifespan=lifespan, graceful_shutdown_seconds=1) as server:
        yield server.url


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
