"""Incident lifecycle on the real stack (`make bench-incidents`).

Starts its own stack with `make up` on free ports and a throwaway database (never the fixed
ports). Measures, with BENCH_CONCURRENCY clients straight to incident management:

- create: `POST /api/v1/incidents` (each one also queues the on-call escalation), per second, p50/p99;
- acknowledge: `PATCH {"status": "acknowledged"}` — includes the in-request escalation stop at the
  real on-call service — per second, p50/p99;
- racing acknowledges: BENCH_RACERS simultaneous acks on each of BENCH_RACES incidents; exactly one
  must win (200) and the rest get 409, with one timeline entry per transition;
- reads: the filtered list and the stats summary over everything created, p50/p99.

    make bench-incidents
    BENCH_INCIDENTS=2000 BENCH_CONCURRENCY=50 make bench-incidents
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nightwatch_core.testing.databases import create_database, drop_database, server_url  # noqa: E402

from tests.stack_runner import make_stack  # noqa: E402

INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "300"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "10"))
RACES = int(os.environ.get("BENCH_RACES", "50"))
RACERS = int(os.environ.get("BENCH_RACERS", "10"))
READS = int(os.environ.get("BENCH_READS", "200"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, latencies: list[float], elapsed: float) -> None:
    print(
        f"{name:<28} {len(latencies) / elapsed:8.0f}/s   p50 {percentile(latencies, 0.5) * 1000:6.1f} ms"
        f"   p99 {percentile(latencies, 0.99) * 1000:6.1f} ms   (n={len(latencies)})"
    )


async def run_all(
    calls: list[Callable[[], Awaitable[httpx.Response]]], expect: tuple[int, ...]
) -> tuple[list[float], float, list[httpx.Response]]:
    semaphore = asyncio.Semaphore(CONCURRENCY)
    latencies: list[float] = []
    responses: list[httpx.Response] = []

    async def one(call: Callable[[], Awaitable[httpx.Response]]) -> None:
        async with semaphore:
            started = time.perf_counter()
            response = await call()
            latencies.append(time.perf_counter() - started)
            if response.status_code not in expect:
                raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
            responses.append(response)

    started = time.perf_counter()
    await asyncio.gather(*(one(call) for call in calls))
    return latencies, time.perf_counter() - started, responses


async def bench(base_url: str) -> None:
    limits = httpx.Limits(max_connections=CONCURRENCY + RACERS)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        service = f"bench-{uuid.uuid4().hex[:6]}"
        severities = ("critical", "high", "medium", "low")

        def create(i: int) -> Callable[[], Awaitable[httpx.Response]]:
            body = {
                "title": f"bench incident {i}",
                "service": service,
                "severity": severities[i % 4],
                "description": "benchmark",
                "team": "bench",
            }
            return lambda: client.post("/api/v1/incidents", json=body)

        latencies, elapsed, responses = await run_all(
            [create(i) for i in range(INCIDENTS + RACES)], (201,)
        )
        report("create", latencies, elapsed)
        ids = [r.json()["id"] for r in responses]
        to_ack, to_race = ids[:INCIDENTS], ids[INCIDENTS:]

        def ack(incident_id: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: client.patch(
                f"/api/v1/incidents/{incident_id}",
                json={"status": "acknowledged"},
                headers={"X-Actor": "bench"},
            )

        latencies, elapsed, _ = await run_all([ack(i) for i in to_ack], (200,))
        report("acknowledge (+ stop)", latencies, elapsed)

        outcomes: Counter[int] = Counter()
        for incident_id in to_race:
            answers = await asyncio.gather(*(ack(incident_id)() for _ in range(RACERS)))
            statuses = Counter(a.status_code for a in answers)
            outcomes.update(statuses)
            assert statuses == {200: 1, 409: RACERS - 1}, statuses
            timeline = (await client.get(f"/api/v1/incidents/{incident_id}")).json()["timeline"]
            assert sum(e["event_type"] == "status_changed" for e in timeline) == 1
        print(
            f"racing acknowledges          {RACES} incidents x {RACERS} at once: "
            f"{outcomes[200]} won (200), {outcomes[409]} refused (409), "
            f"one timeline entry each"
        )

        def resolve(incident_id: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: client.patch(
                f"/api/v1/incidents/{incident_id}", json={"status": "resolved"}
            )

        latencies, elapsed, _ = await run_all([resolve(i) for i in ids], (200,))
        report("resolve (+ stop, event)", latencies, elapsed)

        params: dict[str, Any] = {"service": service, "status": "resolved", "sort": "severity"}
        latencies, elapsed, _ = await run_all(
            [lambda: client.get("/api/v1/incidents", params=params)] * READS, (200,)
        )
        report("list (filtered, sorted)", latencies, elapsed)
        latencies, elapsed, responses = await run_all(
            [lambda: client.get("/api/v1/incidents/stats/summary")] * READS, (200,)
        )
        report("stats summary (all time)", latencies, elapsed)
        summary = responses[-1].json()
        print(
            f"summary: total {summary['total']}, MTTA p50 {summary['mtta']['p50_seconds']:.2f} s, "
            f"MTTR p90 {summary['mttr']['p90_seconds']:.2f} s"
        )


async def main() -> None:
    admin = server_url(ROOT)
    database = await create_database(admin, repo_root=ROOT, prefix="nw_bench_incidents")
    stack = make_stack(Path(tempfile.mkdtemp(prefix="nw-incidents-bench-")), database_url=database)
    try:
        stack.up()
        print(
            f"incident management on {stack.urls['incident-management']}, "
            f"{INCIDENTS} incidents, {CONCURRENCY} clients"
        )
        await bench(stack.urls["incident-management"])
    finally:
        stack.down()
        await drop_database(admin, database)


if __name__ == "__main__":
    asyncio.run(main())
