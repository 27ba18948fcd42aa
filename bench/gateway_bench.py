"""Gateway overhead: requests/s and latency through the gateway against direct to the owning
service, in the same run, on the same stack (`make bench-gateway`).

Starts its own stack with `make up` on free ports and a throwaway database (never the fixed
ports), logs in as the seeded admin, creates an ingest API key, then alternates rounds:
direct, gateway, direct, gateway... with the same load generator and the same concurrency.

Workload: unique alerts by single `POST /api/v1/alerts` when alert ingestion serves it; otherwise
(before that service landed) `GET /api/v1/teams` on the on-call service — the output says which.

    make bench-gateway                      # defaults below
    BENCH_REQUESTS=3000 BENCH_CONCURRENCY=50 BENCH_ROUNDS=3 make bench-gateway
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from nightwatch_core.testing.databases import create_database, drop_database, server_url

from bench.stack_stats import cpu_seconds, percentile
from tests.stack_runner import ADMIN, make_stack

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "50"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
WARMUP = 100
SERVICES = 10  # alerts spread over a few services, so they correlate into open incidents


@dataclass
class Round:
    target: str
    requests: int
    errors: dict[str, int]
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        """Milliseconds."""
        return percentile(self.latencies, q) * 1000


@dataclass
class Workload:
    name: str
    method: str
    path: str
    direct_service: str

    def body(self) -> dict[str, Any] | None:
        if self.method != "POST":
            return None
        return {
            "service": f"bench-{uuid.uuid4().int % SERVICES}",
            "severity": "low",
            "message": f"gateway bench {uuid.uuid4().hex}",
            "labels": {"source": "gateway-bench"},
        }


async def pick_workload(urls: dict[str, str]) -> Workload:
    async with httpx.AsyncClient(timeout=5) as client:
        spec = (await client.get(f"{urls['alert-ingestion']}/openapi.json")).json()
    if "post" in spec.get("paths", {}).get("/api/v1/alerts", {}):
        return Workload("unique alerts, single POST", "POST", "/api/v1/alerts", "alert-ingestion")
    return Workload(
        "GET /api/v1/teams (alert ingestion not landed yet)",
        "GET",
        "/api/v1/teams",
        "oncall-escalation",
    )


async def load(base_url: str, headers: dict[str, str], workload: Workload, total: int) -> Round:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    remaining = iter(range(total))
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker() -> None:
            for _ in remaining:
                started = time.perf_counter()
                try:
                    response = await client.request(
                        workload.method, workload.path, json=workload.body()
                    )
                    status = str(response.status_code)
                except httpx.TransportError as exc:  # counted, not fatal: the run goes on
                    status = type(exc).__name__
                latencies.append(time.perf_counter() - started)
                if not status.startswith(("1", "2", "3")):
                    errors[status] = errors.get(status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - started
    return Round(base_url, total, errors, seconds, latencies)


async def credentials(gateway: str) -> tuple[dict[str, str], dict[str, str]]:
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
        )
        login.raise_for_status()
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        key = await client.post(
            "/api/v1/api-keys",
            json={"name": "bench", "role": "admin", "permissions": ["ingest"]},
            headers=admin,
        )
        key.raise_for_status()
    return admin, {"X-API-Key": key.json()["key"]}


async def bench(urls: dict[str, str], pids: dict[str, int]) -> dict[str, Any]:
    gateway = urls["api-gateway"]
    workload = await pick_workload(urls)
    direct = urls[workload.direct_service]
    _, key = await credentials(gateway)
    await load(direct, {}, workload, WARMUP)
    await load(gateway, key, workload, WARMUP)
    rounds: dict[str, list[Round]] = {"direct": [], "gateway": []}
    gateway_cpu = service_cpu = 0.0
    for _ in range(ROUNDS):
        rounds["direct"].append(await load(direct, {}, workload, REQUESTS))
        before = cpu_seconds(pids["api-gateway"]), cpu_seconds(pids[workload.direct_service])
        rounds["gateway"].append(await load(gateway, key, workload, REQUESTS))
        gateway_cpu += cpu_seconds(pids["api-gateway"]) - before[0]
        service_cpu += cpu_seconds(pids[workload.direct_service]) - before[1]
    summary: dict[str, Any] = {
        "workload": workload.name,
        "requests_per_round": REQUESTS,
        "concurrency": CONCURRENCY,
    }
    for target, results in rounds.items():
        summary[target] = {
            "per_s": round(statistics.mean(r.rate for r in results), 1),
            "p50_ms": round(statistics.mean(r.percentile(0.50) for r in results), 2),
            "p99_ms": round(statistics.mean(r.percentile(0.99) for r in results), 2),
            "errors": {
                status: sum(r.errors.get(status, 0) for r in results)
                for status in sorted({s for r in results for s in r.errors})
            },
        }
    summary["ratio"] = round(summary["gateway"]["per_s"] / summary["direct"]["per_s"], 2)
    # CPU per request does not depend on how busy the machine is: the gateway's own cost.
    total = REQUESTS * ROUNDS
    summary["cpu_ms_per_request"] = {
        "gateway": round(gateway_cpu / total * 1000, 3),
        workload.direct_service: round(service_cpu / total * 1000, 3),
    }
    return summary


def _exit_on_sigterm(*_: object) -> None:
    raise SystemExit(143)  # so `finally` stops the stack when the bench is interrupted


async def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    database_root = server_url(ROOT)
    database_url = await create_database(database_root, repo_root=ROOT, prefix="nw_bench")
    stack = make_stack(
        Path(tempfile.mkdtemp(prefix="nw-gateway-bench-")),
        database_url=database_url,
        ACCESS_LOG=os.environ.get("BENCH_ACCESS_LOG", "true"),
    )
    try:
        stack.up()
        summary = await bench(stack.urls, stack.pids())
    finally:
        stack.down()
        await drop_database(database_root, database_url)
    print(json.dumps(summary, indent=2))
    print(
        f"\n{summary['workload']}: direct {summary['direct']['per_s']}/s p99 {summary['direct']['p99_ms']} ms | "
        f"gateway {summary['gateway']['per_s']}/s p99 {summary['gateway']['p99_ms']} ms | "
        f"ratio {summary['ratio']} (target >= 0.7) | CPU per request: {summary['cpu_ms_per_request']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
