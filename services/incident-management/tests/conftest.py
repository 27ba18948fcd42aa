"""Fixtures: the incident app on the run's real PostgreSQL, with a manual clock, the job worker off
(tests drive it with ``run_jobs``) and fake neighbours (on-call, ingestion) behind an HTTP transport
that can be switched off to simulate an outage."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from nightwatch_core.clock import ManualClock
from nightwatch_incidents.main import create_app
from nightwatch_incidents.settings import IncidentSettings
from sqlalchemy import text

ONCALL = "http://oncall.test"
INGESTION = "http://ingestion.test"


class Neighbours:
    """On-call and ingestion as small ASGI apps that record what they receive."""

    def __init__(self) -> None:
        self.escalations: dict[str, dict[str, Any]] = {}
        self.escalation_posts: list[dict[str, Any]] = []
        self.stops: list[dict[str, Any]] = []
        self.alerts: dict[str, list[dict[str, Any]]] = {}
        self.down: set[str] = set()
        self.batch_calls = 0  # calls to the batch start route
        self.refuse_batches = False  # answer the batch start route 422
        self.stop_batch_calls = 0  # calls to the batch stop route
        self.without_stop_batches = False  # an on-call without the batch stop route (404)
        self.app = self._build()
        self._asgi = httpx.ASGITransport(app=self.app)
        self.transport = _SwitchableTransport(self)

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/internal/v1/escalations", status_code=201)
        async def start(request: Request) -> dict[str, Any]:
            body = await request.json()
            self.escalation_posts.append(body)
            self.escalations.setdefault(body["incident_id"], body)
            return {"incident_id": body["incident_id"]}

        @app.post("/internal/v1/escalations/batch")
        async def start_batch(request: Request) -> Any:
            if self.refuse_batches:
                return Response(status_code=422)
            body = await request.json()
            self.batch_calls += 1
            results = []
            for item in body["escalations"]:
                self.escalation_posts.append(item)
                created = item["incident_id"] not in self.escalations
                self.escalations.setdefault(item["incident_id"], item)
                results.append({"incident_id": item["incident_id"], "created": created})
            return {"results": results}

        @app.post("/internal/v1/escalations/stops")
        async def stop_batch(request: Request) -> Any:
            if self.without_stop_batches:
                return Response(status_code=404)
            self.stop_batch_calls += 1
            stops = (await request.json())["stops"]
            self.stops.extend(stops)
            return {"results": [{**s, "status": "stopped"} for s in stops]}

        @app.post("/internal/v1/escalations/{incident_id}/stop")
        async def stop(incident_id: str, request: Request) -> Response:
            self.stops.append({"incident_id": incident_id, **(await request.json())})
            return Response(status_code=200 if incident_id in self.escalations else 404)

        @app.get("/api/v1/alerts")
        async def alerts(incident_id: str, limit: int = 50, cursor: str = "0") -> dict[str, Any]:
            items = self.alerts.get(incident_id, [])
            start = int(cursor)
            following = str(start + limit) if start + limit < len(items) else None
            return {"items": items[start : start + limit], "limit": limit, "next_cursor": following}

        return app

    def stops_for(self, incident_id: str) -> list[dict[str, Any]]:
        return [s for s in self.stops if s["incident_id"] == incident_id]


class _SwitchableTransport(httpx.AsyncBaseTransport):
    def __init__(self, neighbours: Neighbours) -> None:
        self.neighbours = neighbours

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if f"{request.url.scheme}://{request.url.host}" in self.neighbours.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.neighbours._asgi.handle_async_request(request)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def neighbours() -> Neighbours:
    return Neighbours()


@pytest.fixture
def settings(make_settings: Any) -> IncidentSettings:
    return make_settings(  # type: ignore[no-any-return]
        IncidentSettings,
        oncall_url=ONCALL,
        alert_ingestion_url=INGESTION,
        jobs_worker_enabled=False,
        http_retries=0,
    )


@pytest.fixture
async def app(settings: IncidentSettings, clock: ManualClock, neighbours: Neighbours) -> FastAPI:
    return create_app(settings, clock=clock, transport=neighbours.transport)


@pytest.fixture
async def client(app: FastAPI, app_client: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as http:
        # Jobs left by earlier tests would run against this test's neighbours.
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(text("DELETE FROM incidents.jobs"))
        yield http


@pytest.fixture
def service_name() -> str:
    """A service name of this test alone: the database is shared by the whole run."""
    return f"svc-{uuid.uuid4().hex[:10]}"


class Helpers:
    """Shared steps, as a fixture (test modules do not import each other)."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, service: str) -> None:
        self.app, self.client, self.service = app, client, service

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = {
            "title": "HTTP 5xx error rate > 10%",
            "service": self.service,
            "severity": "high",
            "description": "frontend is failing",
            **fields,
        }
        response = await self.client.post("/api/v1/incidents", json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def patch(self, incident_id: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.patch(
            f"/api/v1/incidents/{incident_id}", json=body, headers=headers
        )

    async def detail(self, incident_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/incidents/{incident_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def run_jobs(self) -> int:
        """Run due jobs until none is left due (bounded)."""
        total = 0
        for _ in range(20):
            claimed = await self.app.state.job_queue.run_due(self.app)
            total += claimed
            if claimed == 0:
                return total
        raise AssertionError("jobs kept coming")

    async def jobs(self, incident_id: str) -> list[Any]:
        async with self.app.state.sessionmaker() as session:
            result = await session.execute(
                text(
                    "SELECT kind, attempts, dead_at, run_at, dedup_key FROM incidents.jobs "
                    "WHERE payload->>'incident_id' = :id ORDER BY id"
                ),
                {"id": incident_id},
            )
            return list(result.all())


@pytest.fixture
def helpers(app: FastAPI, client: httpx.AsyncClient, service_name: str) -> Helpers:
    return Helpers(app, client, service_name)
