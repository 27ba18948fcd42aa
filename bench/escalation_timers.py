"""How late do escalation steps fire, with the real clock and two replicas?

Starts two oncall app instances (workers on, SystemClock) on a throwaway database, plus a small
HTTP server standing in for notification (and incident-management's timeline). Escalates N
incidents (level 1 paged at once), then sets their level-2 timers to fire spread over the next few
seconds. It measures, for each level-2 step, the delay from due time to step taken (page row
written) and to the page arriving at "notification", and counts duplicate pages (must be 0).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.escalation_timers --incidents 200 --spread 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from nightwatch_core.testing.databases import create_database, drop_database, server_url
from nightwatch_core.testing.plugin import service_headers
from nightwatch_oncall.main import create_app
from nightwatch_oncall.settings import OncallSettings
from sqlalchemy import text

from bench.stack_stats import percentile

REPO = Path(__file__).resolve().parents[1]


def receiver(arrivals: list[tuple[str, datetime]]) -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/notify")
    async def notify(request: Request) -> JSONResponse:
        body = await request.json()
        arrivals.append((body["idempotency_key"], datetime.now(UTC)))
        return JSONResponse({"id": str(uuid.uuid4())}, status_code=202)

    @app.post("/internal/v1/incidents/{incident_id}/timeline")
    async def timeline(incident_id: str) -> JSONResponse:
        return JSONResponse({}, status_code=201)

    return app


async def run(incidents: int, spread: float) -> None:
    admin = server_url(REPO)
    database = await create_database(admin, repo_root=REPO, prefix="nw_bench")
    arrivals: list[tuple[str, datetime]] = []
    server = uvicorn.Server(
        uvicorn.Config(receiver(arrivals), host="127.0.0.1", port=0, log_level="warning")
    )
    serve = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        settings = OncallSettings(
            database_url=database,
            notification_url=url,
            incident_management_url=url,
            access_log=False,
            log_level="WARNING",
        )
        replicas = [create_app(settings), create_app(settings)]
        async with contextlib.AsyncExitStack() as stack:
            for app in replicas:
                await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=replicas[0])
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=transport,
                    base_url="http://oncall",
                    headers=service_headers(replicas[0]),  # /internal/v1 needs the credential
                )
            )
            await measure(replicas[0], client, arrivals, incidents, spread)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serve
        await drop_database(admin, database)


async def measure(
    app: FastAPI,
    client: httpx.AsyncClient,
    arrivals: list[tuple[str, datetime]],
    incidents: int,
    spread: float,
) -> None:
    users = []
    for name in ("alice", "bob"):
        response = await client.post(
            "/api/v1/users", json={"name": name, "email": f"{name}@example.com"}
        )
        users.append(response.json()["id"])
    await client.post("/api/v1/teams", json={"name": "bench", "members": []})
    levels = [{"targets": [{"type": "user", "id": u}], "delay_minutes": 60} for u in users]
    await client.post(
        "/api/v1/escalation-policies", json={"team": "bench", "name": "bench", "levels": levels}
    )
    ids = [uuid.uuid4() for _ in range(incidents)]
    for incident_id in ids:
        response = await client.post(
            "/internal/v1/escalations",
            json={"incident_id": str(incident_id), "team": "bench", "severity": "high"},
        )
        assert response.status_code == 201, response.text
    # Level 1 goes out at once; wait for it, then make level 2 due over the next `spread` seconds.
    for _ in range(3000):
        if len(arrivals) >= incidents:
            break
        await asyncio.sleep(0.01)
    base = datetime.now(UTC) + timedelta(seconds=0.5)
    due = {i: base + timedelta(seconds=spread * n / incidents) for n, i in enumerate(ids)}
    async with app.state.sessionmaker() as session, session.begin():
        for incident_id, at in due.items():
            await session.execute(
                text("UPDATE oncall.escalations SET next_step_at = :at WHERE incident_id = :id"),
                {"at": at, "id": incident_id},
            )
    deadline = time.monotonic() + spread + 30
    for _ in range(int((spread + 30) / 0.05)):
        if len(arrivals) >= 2 * incidents or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    async with app.state.sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT incident_id, idempotency_key, created_at FROM oncall.escalation_pages "
                    "WHERE level = 2"
                )
            )
        ).all()
    arrived = dict(arrivals)
    step_lag = [(r.created_at - due[r.incident_id]).total_seconds() for r in rows]
    page_lag = [
        (arrived[r.idempotency_key] - due[r.incident_id]).total_seconds()
        for r in rows
        if r.idempotency_key in arrived
    ]
    duplicates = sum(n - 1 for n in Counter(key for key, _ in arrivals).values())
    report(incidents, spread, step_lag, page_lag, duplicates)


def report(
    incidents: int, spread: float, step_lag: list[float], page_lag: list[float], duplicates: int
) -> None:
    def line(name: str, values: list[Any]) -> str:
        if not values:
            return f"{name}: none"
        return (
            f"{name}: n={len(values)} p50={statistics.median(values) * 1000:.0f} ms "
            f"p95={percentile(values, 0.95) * 1000:.0f} ms p99={percentile(values, 0.99) * 1000:.0f} ms "
            f"max={max(values) * 1000:.0f} ms"
        )

    print(f"{incidents} escalations, level 2 due over {spread:.1f} s, 2 replicas")
    print(line("due -> step taken", step_lag))
    print(line("due -> page at notification", page_lag))
    print(f"duplicate pages: {duplicates}; level-2 pages missing: {incidents - len(page_lag)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--spread", type=float, default=3.0)
    args = parser.parse_args()
    asyncio.run(run(args.incidents, args.spread))


if __name__ == "__main__":
    main()
