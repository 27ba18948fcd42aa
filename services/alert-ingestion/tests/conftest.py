"""Fixtures: the ingestion app over real PostgreSQL, and a real HTTP stand-in for incidents.

``FakeIncidentManagement`` follows the inter-service contract and can be up, slow (answers after a
delay longer than ingestion's timeout), failing (503) or down (not listening at all), so the
outage tests exercise real sockets and real timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.plugin import running_app
from nightwatch_ingestion.main import create_app
from nightwatch_ingestion.settings import IngestionSettings


class FakeIncidentManagement:
    def __init__(self) -> None:
        self.mode = "up"  # up | slow | failing
        self.slow_seconds = 3.0
        self.incidents: dict[str, dict[str, Any]] = {}  # id -> body
        self.keys: dict[str, str] = {}  # Idempotency-Key -> incident id
        self.attached: dict[str, dict[str, Any]] = {}  # alert_id -> item (+ incident_id)
        self.create_calls = 0
        self.attach_calls = 0
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.creators: dict[str, str | None] = {}
        self.app = self._build_app()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        async def gate() -> JSONResponse | None:
            if self.mode == "slow":
                await asyncio.sleep(self.slow_seconds)
            if self.mode == "failing":
                return JSONResponse({"error": {"code": "unavailable"}}, status_code=503)
            return None

        @app.post("/api/v1/incidents")
        async def create(
            request: Request, idempotency_key: str = Header(alias="Idempotency-Key")
        ) -> JSONResponse:
            self.create_calls += 1
            if (refused := await gate()) is not None:
                return refused
            body = await request.json()
            if idempotency_key in self.keys:
                incident_id = self.keys[idempotency_key]
                return JSONResponse({"id": incident_id, **self.incidents[incident_id]}, 200)
            incident_id = str(uuid.uuid4())
            self.keys[idempotency_key] = incident_id
            self.incidents[incident_id] = body
            self.creators[incident_id] = request.headers.get("x-actor")
            return JSONResponse({"id": incident_id, "status": "open", **body}, 201)

        @app.post("/internal/v1/incidents/{incident_id}/alerts")
        async def attach(incident_id: str, request: Request) -> JSONResponse:
            self.attach_calls += 1
            if (refused := await gate()) is not None:
                return refused
            if incident_id not in self.incidents:
                return JSONResponse({"error": {"code": "not_found"}}, 404)
            body = await request.json()
            for item in body["alerts"]:
                self.attached.setdefault(item["alert_id"], {**item, "incident_id": incident_id})
            return JSONResponse({"attached": len(body["alerts"])}, 200)

        return app

    async def start(self) -> None:
        self._server, self._task, self.port = await serve(self.app, port=self.port, lifespan="off")

    async def stop(self) -> None:
        """Go down: stop listening (connections are refused) until start() again, same port."""
        if self._server is not None and self._task is not None:
            await shutdown(self._server, self._task)
        self._server = None
        self._task = None


async def serve(
    app: Any, *, port: int = 0, lifespan: str = "on"
) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """Serve an ASGI app over real HTTP on 127.0.0.1 (a free port unless given), in this loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            return server, task, port
        if task.done():
            break
        await asyncio.sleep(0.01)
    raise RuntimeError("test HTTP server did not start")


async def shutdown(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)


@pytest.fixture
async def incidents() -> AsyncIterator[FakeIncidentManagement]:
    fake = FakeIncidentManagement()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 2, 9, 15, 30, tzinfo=UTC))


@pytest.fixture
def service_name() -> str:
    """A service name of this test's own, so tests never see each other's groups."""
    return f"svc-{uuid.uuid4().hex[:10]}"


AppFactory = Callable[
    ..., contextlib.AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]
]


@pytest.fixture
def ingestion(
    make_settings: Any, incidents: FakeIncidentManagement, clock: ManualClock
) -> AppFactory:
    """Start an ingestion app (workers off unless asked: tests drive them explicitly)."""

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        overrides.setdefault("incident_management_url", incidents.url)
        overrides.setdefault("workers_enabled", False)
        overrides.setdefault("incident_create_timeout_seconds", 0.5)
        overrides.setdefault("http_timeout_seconds", 0.5)
        overrides.setdefault("http_retries", 0)
        use_clock = overrides.pop("clock", clock)
        if "database_url" in overrides:  # e.g. through a proxy that can cut the database off
            settings = IngestionSettings(access_log=False, **overrides)
        else:
            settings = make_settings(IngestionSettings, **overrides)
        app = create_app(settings, clock=use_clock)
        async with running_app(app) as client:
            yield app, client

    return start


@pytest.fixture
def http_server() -> Callable[..., contextlib.AbstractAsyncContextManager[str]]:
    """Serve an app over real loopback HTTP on a free port; yields its base URL."""

    @contextlib.asynccontextmanager
    async def run(app: Any) -> AsyncIterator[str]:
        server, task, port = await serve(app)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await shutdown(server, task)

    return run


@pytest.fixture
async def app_and_client(ingestion: AppFactory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with ingestion() as pair:
        yield pair


@pytest.fixture
def client(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_and_client[1]


@pytest.fixture
def app(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> FastAPI:
    return app_and_client[0]


@pytest.fixture
def make_alert(service_name: str) -> Callable[..., dict[str, Any]]:
    """An alert body for this test's service; keyword arguments override fields."""

    def build(**fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "service": service_name,
            "severity": "high",
            "message": "HTTP 5xx error rate > 10%",
        }
        body.update(fields)
        return body

    return build
