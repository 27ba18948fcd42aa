"""Alert ingestion alone, against a stand-in for incident-management (`make bench-standin`).

A secondary figure: ingestion's own cost. What a user of `make up` gets is `make bench`
(bench/stack_bench.py, the whole stack).

Starts, on free loopback ports and a throwaway database (never the fixed ports):
- a stand-in for incident-management (a minimal HTTP responder: placing a batch of alerts answers
  at once, so the numbers are ingestion's own);
- alert ingestion under uvicorn (uvloop + the services' httptools protocol, no access log, one
  worker as `make up` runs it unless BENCH_WORKERS says otherwise), its durable workers running;
then drives it with its own load generator (raw asyncio HTTP/1.1 keep-alive connections — much
lighter than an HTTP library, so more of the 2 cores go to the server):

1. unique alerts, one per POST, at 50 connections;
2. batches of 100 alerts;
3. the same alert over and over (duplicates), one per POST, at 50 connections;
and reports alerts/s, p50/p99 per request, the CPU each alert cost ingestion, PostgreSQL and the
load generator, how many alerts were still waiting for an incident when each scenario ended (the
link queue; "incl. linking" counts the time until it is empty), and ingestion's RSS once 100k+
alerts went through.

    make bench-standin
    BENCH_WORKERS=2 BENCH_UNIQUE=30000 BENCH_BATCHED=60000 BENCH_DUPLICATES=30000 make bench-standin

Every scenario is bounded by its count and by BENCH_MAX_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import orjson
import psutil
from nightwatch_core.testing.databases import create_database, drop_database, server_url

from bench.raw_http_load import drive
from tests.stack_runner import free_port_offset
from tools import stack
from tools.stack import ManagedProcess, StackConfig

ROOT = Path(__file__).resolve().parent.parent
UNIQUE = int(os.environ.get("BENCH_UNIQUE", "30000"))
BATCHED = int(os.environ.get("BENCH_BATCHED", "50000"))
DUPLICATES = int(os.environ.get("BENCH_DUPLICATES", "30000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "50"))
BATCH_SIZE = 100
BATCH_CONCURRENCY = int(os.environ.get("BENCH_BATCH_CONCURRENCY", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
MAX_SECONDS = float(os.environ.get("BENCH_MAX_SECONDS", "120"))
SERVICES = [f"bench-svc-{i}" for i in range(20)]
SEVERITIES = ["critical", "high", "medium", "low"]


def unique_body(i: int) -> bytes:
    return orjson.dumps(
        {
            "service": SERVICES[i % len(SERVICES)],
            "severity": SEVERITIES[(i // len(SERVICES)) % 4],
            "message": f"HTTP 5xx error rate > 10% on pod {i}",
            "labels": {"env": "production", "pod": f"pod-{i}"},
        }
    )


def batch_body(i: int) -> bytes:
    return orjson.dumps(
        [
            {
                "service": SERVICES[j % len(SERVICES)],
                "severity": SEVERITIES[j % 4],
                "message": f"batched alert {i}-{j}",
                "labels": {"env": "production", "batch": str(i)},
            }
            for j in range(BATCH_SIZE)
        ]
    )


DUPLICATE = orjson.dumps(
    {
        "service": "bench-dup",
        "severity": "high",
        "message": "Disk 95% full",
        "labels": {"host": "db-1"},
    }
)


# ------------------------------------------------------------------ the run
def rss_mb(pid: int) -> list[float]:
    """RSS of each serving process (the workers; the process itself when it serves alone)."""
    root = psutil.Process(pid)
    serving = root.children(recursive=True) or [root]
    return [p.memory_info().rss / 2**20 for p in serving]


async def pending_attach(database_url: str) -> int:
    """Alerts accepted but not on their incident yet (ingestion's link queue)."""
    connection = await asyncpg.connect(database_url)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM ingestion.link_queue WHERE dead_at IS NULL"
            )
        )
    finally:
        await connection.close()


async def drain(database_url: str) -> tuple[int, float]:
    """(alerts not yet on their incident's timeline now, seconds until there are none)."""
    started = time.monotonic()
    first = pending = -1
    while pending and time.monotonic() - started < MAX_SECONDS:
        with contextlib.suppress(OSError, asyncpg.PostgresError):  # a busy shared server
            pending = await pending_attach(database_url)
        if first < 0:
            first = pending
        if pending:
            await asyncio.sleep(0.1)
    return first, time.monotonic() - started


def processes_for(config: StackConfig, database_url: str) -> tuple[ManagedProcess, ManagedProcess]:
    """(ingestion exactly as `make up` runs it, the stand-in on incident-management's port)."""
    by_name = {p.name: p for p in stack.service_processes(config, database_url)}
    ingestion, placement = by_name["alert-ingestion"], by_name["incident-management"]
    ingestion.argv += ["--workers", str(WORKERS)]
    ingestion.env.update(
        LOG_LEVEL="WARNING",
        ACCESS_LOG="false",
        # PostgreSQL here is shared (max_connections 100): a budget of 16 connections per worker
        # (8 raw + 8 sessions).
        DB_POOL_SIZE=os.environ.get("DB_POOL_SIZE", "16"),
        DB_MAX_OVERFLOW=os.environ.get("DB_MAX_OVERFLOW", "0"),
    )
    stand_in = ManagedProcess(
        "incident-management-stand-in",
        [sys.executable, "-m", "bench.incident_stub", str(placement.port)],
        placement.port,
        ready_url="",
    )
    return ingestion, stand_in


async def main() -> int:
    admin = server_url(ROOT)
    database_url = await create_database(admin, repo_root=ROOT, prefix="nw_bench")
    state_dir = Path(tempfile.mkdtemp(prefix="nw-bench-standin-"))
    config = StackConfig(
        state_dir=state_dir, host="127.0.0.1", port_offset=free_port_offset(), ready_timeout=60
    )
    ingestion, stand_in = processes_for(config, database_url)
    ingestion_port = ingestion.port
    pids = [stack.start(config, process) for process in (stand_in, ingestion)]
    try:
        if stack.wait_ready(config, [ingestion]):
            raise RuntimeError(
                f"ingestion did not become ready:\n{stack.log_tail(config, ingestion.name)}"
            )
        print(
            f"ingestion: {WORKERS} uvicorn worker(s); load: {CONCURRENCY} connections; "
            f"{os.cpu_count()} CPUs shared by server, PostgreSQL and load generator; "
            f"load average at start {os.getloadavg()[0]:.1f}\n"
        )
        pid = pids[1]
        await drive(
            "warm-up",
            ingestion_port,
            requests=500,
            connections=10,
            body_for=lambda i: unique_body(10**9 + i),
            per_request=1,
            server_pid=pid,
            max_seconds=MAX_SECONDS,
        )
        scenarios = [
            ("unique, single POST", UNIQUE, CONCURRENCY, unique_body, 1),
            (
                f"batched ({BATCH_SIZE}/POST)",
                BATCHED // BATCH_SIZE,
                BATCH_CONCURRENCY,
                batch_body,
                BATCH_SIZE,
            ),
            ("duplicates, single POST", DUPLICATES, CONCURRENCY, lambda i: DUPLICATE, 1),
        ]
        results = []
        for name, requests, connections, body_for, per_request in scenarios:
            result = await drive(
                name,
                ingestion_port,
                requests=requests,
                connections=connections,
                body_for=body_for,
                per_request=per_request,
                server_pid=pid,
                max_seconds=MAX_SECONDS,
            )
            # The link worker's backlog is this scenario's: let it finish before the next one.
            result.backlog, result.drain_seconds = await drain(database_url)
            results.append(result)
        total = sum(r.alerts for r in results) + 500
        if total < 100_000:  # RSS is measured after at least 100k alerts went through
            top_up = await drive(
                "top-up to 100k",
                ingestion_port,
                requests=(100_000 - total) // BATCH_SIZE + 1,
                connections=BATCH_CONCURRENCY,
                body_for=lambda i: batch_body(10**6 + i),
                per_request=BATCH_SIZE,
                server_pid=pid,
                max_seconds=MAX_SECONDS,
            )
            total += top_up.alerts
        print(
            "| scenario | alerts | errors | alerts/s | p50 ms | p99 ms "
            "| CPU ms/alert: ingestion | PostgreSQL | load generator | link backlog at end "
            "| alerts/s incl. linking |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
        for r in results:
            print(
                f"| {r.name} | {r.alerts:,} | {r.errors} | {r.rate:,.0f} | "
                f"{r.percentile(0.50):.1f} | {r.percentile(0.99):.1f} | "
                f"{r.cpu_ms_per_alert:.3f} | {r.per_alert_ms(r.pg_cpu_seconds):.3f} | "
                f"{r.per_alert_ms(r.loadgen_cpu_seconds):.3f} | "
                f"{r.backlog:,} (sent {r.drain_seconds:.1f} s later) | "
                f"{r.alerts / (r.seconds + r.drain_seconds):,.0f} |"
            )
            if r.errors:
                print(f"    {r.name}: error statuses {r.error_statuses}")
        worker_rss = rss_mb(pid)
        print(
            f"\nRSS after {total:,} alerts: "
            f"{', '.join(f'{m:.0f} MB' for m in worker_rss)} (per serving process)",
            flush=True,
        )
        backlog, seconds = await drain(database_url)
        print(f"link backlog after the top-up: {backlog:,}, sent within {seconds:.1f} s")
        return 0 if all(r.errors == 0 for r in results) else 1
    finally:
        for started in pids:
            stack.stop_pid(started)
        await drop_database(admin, database_url)
        shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    import uvloop

    sys.exit(uvloop.run(main()))
