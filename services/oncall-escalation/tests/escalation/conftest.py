"""Escalation fixtures: the oncall app on the run's real database (committed data, since the
workers use their own connections), a ManualClock, and a small real HTTP server standing in for
notification and incident-management that records every request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.plugin import service_headers
from nightwatch_core.testing.served import served
from nightwatch_oncall.escalation.workers import run_due_steps, runtime
from nightwatch_oncall.main import create_app
from nightwatch_oncall.settings import OncallSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Recorder:
    """What oncall sent: pages (POST /api/v1/notify) and timeline entries, in arrival order."""

    url: str = ""
    notify: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    fail_notify: int = 0  # answer 503 to this many notify calls first
    refuse_channels: set[str] = field(default_factory=set)  # answer 422 (not configured)
    hold: asyncio.Event | None = None  # when set, notify calls wait for it before answering
    arrived: int = 0  # notify calls received (even those still held)
    arrival: asyncio.Event = field(default_factory=asyncio.Event)  # set by every notify call
    batches: int = 0  # batch notify calls received
    fail_timeline: int = 0  # answer 503 to this many timeline batch calls first
    old_versions: bool = False  # neighbours without the batch routes (404), as in a rolling deploy

    def pages(self, incident_id: Any) -> list[dict[str, Any]]:
        return [n for n in self.notify if n["incident_id"] == str(incident_id)]

    def paged(self, incident_id: Any) -> list[str]:
        return [n["recipient"] for n in self.pages(incident_id)]

    def entries(self, incident_id: Any, event_type: str | None = None) -> list[dict[str, Any]]:
        return [
            t
            for t in self.timeline
            if t["incident_id"] == str(incident_id) and event_type in (None, t["event_type"])
        ]


def _recorder_app(recorder: Recorder) -> FastAPI:
    app = FastAPI()

    def accept(body: dict[str, Any]) -> dict[str, Any]:
        if body["channel"] in recorder.refuse_channels:
            message = f"Channel {body['channel']!r} is not configured"
            return {"status": 422, "error": {"code": "unknown_channel", "message": message}}
        recorder.notify.append(body)
        return {"status": 202, "id": str(uuid.uuid4()), "replayed": False}

    @app.post("/api/v1/notify")
    async def notify(request: Request) -> JSONResponse:
        if recorder.fail_notify > 0:
            recorder.fail_notify -= 1
            return JSONResponse({"error": {"message": "down for maintenance"}}, status_code=503)
        body = await request.json()
        recorder.arrived += 1
        recorder.arrival.set()
        if recorder.hold is not None:
            await asyncio.wait_for(recorder.hold.wait(), timeout=30)
        assert request.headers["Idempotency-Key"] == body["idempotency_key"]
        result = accept(body)
        if result["status"] != 202:
            return JSONResponse({"error": result["error"]}, status_code=result["status"])
        return JSONResponse({"id": result["id"], "status": "pending"}, status_code=202)

    @app.post("/internal/v1/notifications/batch")
    async def notify_batch(request: Request) -> JSONResponse:
        if recorder.old_versions:
            return JSONResponse({"error": {"message": "Not Found"}}, status_code=404)
        if recorder.fail_notify > 0:
            recorder.fail_notify -= 1
            return JSONResponse({"error": {"message": "down for maintenance"}}, status_code=503)
        body = await request.json()
        recorder.arrived += 1
        recorder.arrival.set()
        recorder.batches += 1
        if recorder.hold is not None:
            await asyncio.wait_for(recorder.hold.wait(), timeout=30)
        return JSONResponse({"results": [accept(item) for item in body["notifications"]]})

    @app.post("/internal/v1/incidents/{incident_id}/timeline")
    async def timeline(incident_id: str, request: Request) -> JSONResponse:
        body = await request.json()
        recorder.timeline.append({"incident_id": incident_id, **body})
        return JSONResponse({"id": str(uuid.uuid4())}, status_code=201)

    @app.post("/internal/v1/incidents/timeline/batch")
    async def timeline_batch(request: Request) -> JSONResponse:
        if recorder.old_versions:
            return JSONResponse({"error": {"message": "Not Found"}}, status_code=404)
        if recorder.fail_timeline > 0:
            recorder.fail_timeline -= 1
            return JSONResponse({"error": {"message": "down for maintenance"}}, status_code=503)
        entries = (await request.json())["entries"]
        recorder.timeline.extend(entries)
        return JSONResponse({"results": [{"status": 201} for _ in entries]})

    return app


@pytest.fixture(scope="session")
async def recorder_server() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    async with served(_recorder_app(recorder)) as server:
        recorder.url = server.url
        yield recorder


@pytest.fixture
def recorder(recorder_server: Recorder) -> Recorder:
    recorder_server.notify.clear()
    recorder_server.timeline.clear()
    recorder_server.fail_notify = 0
    recorder_server.refuse_channels = set()
    recorder_server.hold = None
    recorder_server.arrived = 0
    recorder_server.arrival = asyncio.Event()
    recorder_server.batches = 0
    recorder_server.fail_timeline = 0
    recorder_server.old_versions = False
    return recorder_server


TEST_DOMAIN = "escalation-tests.example.com"


@pytest.fixture(autouse=True)
async def _remove_committed_data(db_engine: AsyncEngine) -> AsyncIterator[None]:
    """These tests commit (the workers use their own connections): leave the shared database as
    the other tests expect it, without this test's people, teams, schedules and escalations."""
    yield
    async with db_engine.begin() as connection:
        for statement in (
            "DELETE FROM oncall.escalations",
            "DELETE FROM oncall.escalation_policies",
            "DELETE FROM oncall.jobs",
            "DELETE FROM oncall.schedules WHERE team_id IN "
            "(SELECT id FROM oncall.teams WHERE name LIKE '%-esc%')",
            "DELETE FROM oncall.teams WHERE name LIKE '%-esc%'",
            f"DELETE FROM oncall.users WHERE email LIKE '%@{TEST_DOMAIN}'",
        ):
            await connection.execute(text(statement))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))


@pytest.fixture
def make_app(
    make_settings: Callable[..., Any], recorder: Recorder, clock: ManualClock
) -> Callable[..., FastAPI]:
    """A new oncall app instance (a replica) on the run's database; workers are driven by hand."""

    def build(**overrides: Any) -> FastAPI:
        overrides.setdefault("escalation_workers_enabled", False)
        settings = make_settings(
            OncallSettings,
            notification_url=recorder.url,
            incident_management_url=recorder.url,
            **overrides,
        )
        return create_app(settings, clock=clock)

    return build


@pytest.fixture
async def app(make_app: Callable[..., FastAPI], app_client: Any) -> AsyncIterator[FastAPI]:
    application = make_app()
    async with app_client(application):
        # Jobs of earlier tests (other recorder expectations) must not leak into this one.
        async with application.state.sessionmaker() as session, session.begin():
            await session.execute(text("DELETE FROM oncall.jobs"))
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://oncall", headers=service_headers(app)
    ) as http:
        yield http


async def drain(*apps: FastAPI) -> None:
    """Run every due step and job on the given replicas (concurrently) until nothing is due."""
    for _ in range(200):
        counts = await asyncio.gather(
            *(run_due_steps(a) for a in apps),
            *(runtime(a).pages.run_due(a) for a in apps),
            *(runtime(a).timeline.run_due(a) for a in apps),
        )
        if not any(counts):
            return
    raise AssertionError("escalation work never settled")


@dataclass
class World:
    """Users and teams created through the real people API, with names unique to the test."""

    client: httpx.AsyncClient
    suffix: str = field(default_factory=lambda: f"esc{uuid.uuid4().hex[:6]}")

    async def user(self, name: str, *methods: tuple[str, str]) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/users",
            json={
                "name": name,
                "email": f"{name.lower()}-{self.suffix}@{TEST_DOMAIN}",
                "contact_methods": [{"type": t, "address": a} for t, a in methods],
            },
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def team(self, name: str, *members: dict[str, Any]) -> str:
        team = f"{name}-{self.suffix}"
        response = await self.client.post(
            "/api/v1/teams",
            json={"name": team, "members": [{"user_id": m["id"]} for m in members]},
        )
        assert response.status_code == 201, response.text
        return team

    async def policy(self, team: str, levels: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/escalation-policies",
            json={"team": team, "name": f"{team} policy", "levels": levels, **extra},
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def start(
        self, team: str, incident_id: uuid.UUID | None = None, *, severity: str = "critical"
    ) -> uuid.UUID:
        incident_id = incident_id or uuid.uuid4()
        response = await self.client.post(
            "/internal/v1/escalations",
            json={
                "incident_id": str(incident_id),
                "team": team,
                "title": "Checkout 500s",
                "service": "checkout",
                "severity": severity,
            },
        )
        assert response.status_code == 201, response.text
        return incident_id


@pytest.fixture
def world(client: httpx.AsyncClient) -> World:
    return World(client)


def user_level(*users: dict[str, Any], delay: int = 5) -> dict[str, Any]:
    return {"targets": [{"type": "user", "id": u["id"]} for u in users], "delay_minutes": delay}
