"""Fixtures: the ingestion app over real PostgreSQL, and a real HTTP stand-in for incident-management.

``FakeIncidentManagement`` follows the inter-service contract (POST /internal/v1/alert-batches) and
can be up, slow (holds its answer until the test releases it: past ingestion's timeout, whatever
the machine's speed), failing (503), refusing
(422) or down (not listening at all), so the outage tests exercise real sockets and real
timeouts. The real correlation rules are tested in incident-management and end to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.plugin import running_app
from nightwatch_core.testing.served import ServedApp, served, start_serving
from nightwatch_ingestion.main import create_app
from nightwatch_ingestion.settings import IngestionSettings


class FakeIncidentManagement:
    """A small stand-in for incident-management's placement route: one incident per
    (service, severity) until ``resolve``, first fingerprint per incident ``correlated``
    (``new_incident`` for the alert that opened it), answers replayed per batch id."""

    def __init__(self) -> None:
        self.mode = "up"  # up | slow | failing | refusing
        self.released = asyncio.Event()  # "slow" answers wait for it (release())
        self.open: dict[tuple[str, str], str] = {}  # (service, severity) -> incident id
        self.incidents: dict[str, dict[str, Any]] = {}  # id -> first alert (team, service, ...)
        self.fingerprints: set[tuple[str, str]] = set()
        self.answers: dict[str, dict[str, Any]] = {}  # batch id -> answer
        self.placed: dict[str, str] = {}  # alert id -> incident id (each alert counted once)
        self.calls = 0
        self.batch_sizes: list[int] = []
        self.items: list[dict[str, Any]] = []  # every alert item received, as sent
        self.port = 0
        self._served: ServedApp | None = None
        self.app = self._build_app()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def release(self) -> None:
        """Let the answers held back in "slow" mode go (their callers gave up by now)."""
        self.released.set()

    def resolve(self, incident_id: str) -> None:
        self.open = {key: i for key, i in self.open.items() if i != incident_id}

    def _place(self, body: dict[str, Any]) -> dict[str, Any]:
        results = []
        for alert in body["alerts"]:
            if alert.get("action", "trigger") != "trigger":  # a resolve / acknowledge
                holder = next(
                    (
                        i
                        for i in self.open.values()
                        if (i, alert["fingerprint"]) in self.fingerprints
                    ),
                    None,
                )
                result = {"resolve": "resolved", "acknowledge": "acknowledged"}[alert["action"]]
                results.append(
                    {
                        "alert_id": alert["alert_id"],
                        "incident_id": holder,
                        "result": result if holder else "ignored",
                    }
                )
                continue
            key = (alert["service"], alert["severity"])
            result = "correlated"
            if key not in self.open:
                self.open[key] = str(uuid.uuid4())
                self.incidents[self.open[key]] = alert
                result = "new_incident"
            incident_id = self.open[key]
            if (incident_id, alert["fingerprint"]) in self.fingerprints:
                result = "duplicate"
            self.fingerprints.add((incident_id, alert["fingerprint"]))
            self.placed[alert["alert_id"]] = incident_id
            results.append(
                {"alert_id": alert["alert_id"], "incident_id": incident_id, "result": result}
            )
        return {"batch_id": body["batch_id"], "results": results, "replayed": False}

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/internal/v1/alert-batches")
        async def place(request: Request) -> JSONResponse:
            self.calls += 1
            body = await request.json()
            self.batch_sizes.append(len(body["alerts"]))
            self.items.extend(body["alerts"])
            if self.mode == "refusing":
                return JSONResponse({"error": {"code": "validation_error"}}, status_code=422)
            if self.mode == "failing":
                return JSONResponse({"error": {"code": "unavailable"}}, status_code=503)
            # Placed before a slow answer: the caller may give up, the placement stands.
            if body["batch_id"] in self.answers:
                answer = {**self.answers[body["batch_id"]], "replayed": True}
            else:
                answer = self.answers[body["batch_id"]] = self._place(body)
            if self.mode == "slow":
                await asyncio.wait_for(self.released.wait(), timeout=30)
            return JSONResponse(answer)

        @app.post("/internal/v1/incidents/resolved")
        async def resolved(request: Request) -> JSONResponse:
            if self.mode == "failing":
                return JSONResponse({"error": {"code": "unavailable"}}, status_code=503)
            asked = (await request.json())["incident_ids"]
            still_open = set(self.open.values())
            known = [i for i in asked if i in self.incidents and i not in still_open]
            return JSONResponse({"resolved": known})

        return app

    async def start(self) -> None:
        self._served = await start_serving(self.app, port=self.port)
        self.port = self._served.port

    async def stop(self) -> None:
        """Go down: stop listening (connections are refused) until start() again, same port."""
        if self._served is not None:
            await self._served.stop()
        self._served = None


@pytest.fixture
async def incidents() -> AsyncIterator[FakeIncidentManagement]:
    fake = FakeIncidentManagement()
    await fake.start()
    yield fake
    fake.release()
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
        async with served(app, lifespan="on") as server:
            yield server.url

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
