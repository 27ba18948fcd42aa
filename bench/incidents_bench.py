"""Incident paths on the real stack with 100,000 incidents stored (`make bench-incidents`).

Creates a throwaway database (on `TEST_DATABASE_URL`'s server, else the embedded PostgreSQL),
stores BENCH_STORED incidents in it with SQL (`incident_seed.py`: 90 days of history over 20 teams
and 100 services), starts the stack with `make up` on free ports (every service as `make up` runs
it: uvicorn, the services' HTTP protocol, no access log, one worker, the durable workers on), and
drives incident management with the raw keep-alive load generator (`raw_http_load.py`):

- reads first, while the stack is idle: realistic list queries (filtered, sorted, 50 rows), the
  stats summary and the dashboard's series and per-group stats, at BENCH_READ_CONCURRENCY
  connections and at one;
- create: `POST /api/v1/incidents` at BENCH_CONCURRENCY connections (each also queues the on-call
  escalation, which the job worker starts meanwhile; the next scenario waits up to
  BENCH_DRAIN_SECONDS for that backlog and says what was left);
- acknowledge: `PATCH {"status": "acknowledged"}` of those incidents (includes the in-request
  escalation stop at the real on-call service);
- racing acknowledges: BENCH_RACERS simultaneous acks on each of BENCH_RACES incidents; exactly
  one must win (200), the rest get 409, with one timeline entry per transition.

Per scenario: requests/s, p50/p95/p99, and CPU per request of incident management, on-call and
every PostgreSQL process. Every scenario is bounded by its count and by BENCH_MAX_SECONDS.

    make bench-incidents
    BENCH_CREATES=10000 BENCH_CONCURRENCY=20 BENCH_MAX_SECONDS=30 make bench-incidents
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import asyncpg
import httpx
import orjson
from nightwatch_core.testing.databases import create_database, drop_database, server_url

from bench.incident_seed import seed
from bench.raw_http_load import Result, drive, http_request
from bench.stack_stats import cpu_seconds
from tests.stack_runner import make_stack

ROOT = Path(__file__).resolve().parent.parent
STORED = int(os.environ.get("BENCH_STORED", "100000"))
CREATES = int(os.environ.get("BENCH_CREATES", "5000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "10"))
READS = int(os.environ.get("BENCH_READS", "500"))
READ_CONCURRENCY = int(os.environ.get("BENCH_READ_CONCURRENCY", "10"))
RACES = int(os.environ.get("BENCH_RACES", "50"))
RACERS = int(os.environ.get("BENCH_RACERS", "10"))
MAX_SECONDS = float(os.environ.get("BENCH_MAX_SECONDS", "60"))
DRAIN_SECONDS = float(os.environ.get("BENCH_DRAIN_SECONDS", "20"))
SEVERITIES = ("critical", "high", "medium", "low")


def _since(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


# What the console and an operator ask for (web-ui/src/pages/IncidentsPage.tsx: active statuses by
# default, newest first or by severity; then narrowed by team / service / severity).
LIST_VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("active, newest first", {"status": "open,acknowledged,in_progress", "sort": "-created_at"}),
    ("active, by severity", {"status": "open,acknowledged,in_progress", "sort": "severity"}),
    ("team, resolved, newest", {"team": "team-3", "status": "resolved", "sort": "-created_at"}),
    (
        "service, crit+high, 30 d, changed",
        {
            "service": "svc-7",
            "severity": "critical,high",
            "since": _since(30),
            "sort": "-updated_at",
        },
    ),
    ("everything, newest, page 3", {"sort": "-created_at", "offset": "100"}),
]
# "stats <route>, ...": the route under /api/v1/incidents/stats/ is the name's second word.
STATS_VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("stats summary, all time", {}),
    ("stats summary, last 7 days", {"since": _since(7)}),
    ("stats timeseries, 7 d by hour", {"since": _since(7), "bucket": "hour"}),
    ("stats by-group, teams, all time", {"by": "team", "limit": "10"}),
    ("stats by-group, services, 30 d", {"by": "service", "since": _since(30), "limit": "10"}),
]


def row(r: Result, pids: dict[str, float]) -> str:
    per = (lambda s: s / r.alerts * 1000) if r.alerts else (lambda s: 0.0)
    return (
        f"| {r.name} | {r.alerts:,} | {r.errors} | {r.rate:,.0f} | {r.percentile(0.5):.1f} | "
        f"{r.percentile(0.95):.1f} | {r.percentile(0.99):.1f} | {per(r.cpu_seconds):.2f} | "
        f"{per(pids['oncall']):.2f} | {per(r.pg_cpu_seconds):.2f} |"
    )


async def scenario(
    name: str,
    port: int,
    pids: dict[str, int],
    requests: list[bytes],
    *,
    connections: int,
    ok: tuple[int, ...],
) -> str:
    oncall_before = cpu_seconds(pids["oncall-escalation"])
    result = await drive(
        name,
        port,
        requests=len(requests),
        connections=connections,
        request_for=requests.__getitem__,
        server_pid=pids["incident-management"],
        max_seconds=MAX_SECONDS,
        ok_statuses=ok,
    )
    oncall = cpu_seconds(pids["oncall-escalation"]) - oncall_before
    line = row(result, {"oncall": oncall})
    if result.errors:
        line += f" errors: {result.error_statuses}"
    print(line, flush=True)
    return line


def create_request(i: int, run: str) -> bytes:
    body = {
        "title": f"bench create {run} {i}",
        "service": f"svc-{i % 100}",
        "severity": SEVERITIES[i % 4],
        "description": "HTTP 5xx error rate > 10% on /checkout",
        "team": f"team-{i % 20}",
    }
    return http_request("POST", "/api/v1/incidents", orjson.dumps(body))


def ack_request(incident_id: str) -> bytes:
    body = orjson.dumps({"status": "acknowledged"})
    # No X-Actor: `make up` serves a direct call as anonymous@loopback (docs/gateway.md).
    return http_request("PATCH", f"/api/v1/incidents/{incident_id}", body)


async def open_ids(database_url: str, run: str) -> list[str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT id::text FROM incidents.incidents WHERE title LIKE $1 AND status = 'open'",
            f"bench create {run} %",
        )
        return [r[0] for r in rows]
    finally:
        await connection.close()


async def drain_jobs(database_url: str) -> None:
    """Wait (bounded) until the job worker has started every queued escalation, so the next
    scenario is not measured against this one's paging work."""
    started = time.monotonic()
    connection = await asyncpg.connect(database_url)
    try:
        due = -1
        while due and time.monotonic() - started < DRAIN_SECONDS:
            due = await connection.fetchval(
                "SELECT count(*) FROM incidents.jobs WHERE dead_at IS NULL AND run_at <= now()"
            )
            if due:
                await asyncio.sleep(0.2)
    finally:
        await connection.close()
    print(
        f"    (paging work left: {due} jobs after {time.monotonic() - started:.1f} s)", flush=True
    )


async def racing_acks(base_url: str, ids: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        outcomes: Counter[int] = Counter()
        for incident_id in ids:
            answers = await asyncio.gather(
                *(
                    client.patch(
                        f"/api/v1/incidents/{incident_id}", json={"status": "acknowledged"}
                    )
                    for _ in range(RACERS)
                )
            )
            statuses = Counter(a.status_code for a in answers)
            outcomes.update(statuses)
            assert statuses == {200: 1, 409: RACERS - 1}, statuses
            timeline = (await client.get(f"/api/v1/incidents/{incident_id}")).json()["timeline"]
            assert sum(e["event_type"] == "status_changed" for e in timeline) == 1
    print(
        f"\nracing acknowledges: {len(ids)} incidents x {RACERS} at once: {outcomes[200]} won "
        f"(200), {outcomes[409]} refused (409), one timeline entry each\n"
    )


async def bench(base_url: str, database_url: str, pids: dict[str, int]) -> None:
    port = urlsplit(base_url).port
    assert port is not None
    run = uuid.uuid4().hex[:6]
    print(
        "| scenario | requests ok | errors | req/s | p50 ms | p95 ms | p99 ms "
        "| CPU ms/req: incident-mgmt | on-call | PostgreSQL |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    # Reads first, on the idle stack (100k stored, no paging work in flight), then the writes.
    for connections in dict.fromkeys((READ_CONCURRENCY, 1)):
        for name, params in LIST_VARIANTS + STATS_VARIANTS:
            path = "/api/v1/incidents"
            if name.startswith("stats"):
                path += "/stats/" + name.split()[1].rstrip(",")
            else:
                params = {"limit": "50", **params}
            request = http_request("GET", f"{path}?{urlencode(params)}" if params else path)
            label = f"{name} ({connections} conn.)"
            await scenario(label, port, pids, [request] * READS, connections=connections, ok=(200,))
    warm = [create_request(i, "warm") for i in range(200)]
    await scenario("warm-up (create)", port, pids, warm, connections=CONCURRENCY, ok=(201,))
    await drain_jobs(database_url)
    creates = [create_request(i, run) for i in range(CREATES + RACES)]
    await scenario("create", port, pids, creates, connections=CONCURRENCY, ok=(201,))
    await drain_jobs(database_url)
    ids = await open_ids(database_url, run)
    to_race, to_ack = ids[:RACES], ids[RACES:]
    acks = [ack_request(i) for i in to_ack]
    await scenario("acknowledge (+ stop)", port, pids, acks, connections=CONCURRENCY, ok=(200,))
    await racing_acks(base_url, to_race)


async def main() -> None:
    admin = server_url(ROOT)
    database = await create_database(admin, repo_root=ROOT, prefix="nw_bench_incidents")
    stack = make_stack(Path(tempfile.mkdtemp(prefix="nw-incidents-bench-")), database_url=database)
    try:
        started = time.monotonic()
        await seed(database, STORED)
        print(f"{STORED:,} incidents stored in {time.monotonic() - started:.1f} s")
        stack.up()
        pids = stack.pids()
        print(
            f"incident management on {stack.urls['incident-management']}; {CONCURRENCY} connections "
            f"for writes, {READ_CONCURRENCY} and 1 for reads; {os.cpu_count()} CPUs shared by the "
            f"stack, PostgreSQL and the load generator; load average {os.getloadavg()[0]:.1f}\n"
        )
        await bench(stack.urls["incident-management"], database, pids)
    finally:
        stack.down()
        await drop_database(admin, database)


if __name__ == "__main__":
    asyncio.run(main())
