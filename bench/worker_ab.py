"""A/B of the durable job queue: ``nightwatch_core.jobs.JobQueue`` against PgQueuer.

The question of issue #14: would a maintained PostgreSQL job library do the outbox and timers as
fast and as cheaply? One process enqueues ``--jobs`` jobs, one per transaction, at ``--rate`` per
second (as a service does: one job per request that commits it; both enqueue with one raw asyncpg
statement) and runs the worker; the handler does nothing, so what is measured is the queue itself:

- pick-up latency: enqueue committed -> handler called (p50 / p95 / p99, ms);
- drain: first enqueue -> queue empty;
- CPU per job (enqueue, claim, handler, completion): this process plus its PostgreSQL backends (``/proc``), so a shared, noisy machine
  still compares like with like;
- idle CPU: ``--idle`` seconds with nothing queued (the cost of waiting for work).

Runs against a throwaway database it creates and drops. PgQueuer is not a dependency of the
project; run its side with ``uv run --with``:

    uv run --frozen --no-sync python bench/worker_ab.py jobqueue
    uv run --frozen --with pgqueuer==1.6.0 python bench/worker_ab.py pgqueuer

Results and the decision: docs/architecture.md, "One worker loop, one backoff policy".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import asyncpg
from stack_stats import percentile

ADMIN_URL = os.environ.get("AB_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TICKS = os.sysconf("SC_CLK_TCK")
JOBS_TABLE = """
CREATE SCHEMA ab;
CREATE TABLE ab.jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL, payload jsonb NOT NULL,
    dedup_key text UNIQUE, run_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0, last_error text, dead_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due_idx ON ab.jobs (run_at) WHERE dead_at IS NULL;
"""  # the shape of database/migrations/0002_jobs.sql


def _cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


class CpuMeter:
    """CPU seconds of this process plus the database's backends (each counted from first seen)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.start: dict[int, float] = {}

    async def _backends(self) -> list[int]:
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        return [row["pid"] for row in rows]

    async def begin(self) -> None:
        self.start = {pid: _cpu_of(pid) for pid in await self._backends()}
        self.process_start = time.process_time()

    async def spent(self) -> tuple[float, float]:
        """(this process, its backends) CPU seconds since ``begin``."""
        process = time.process_time() - self.process_start
        backends = sum(_cpu_of(pid) - self.start.get(pid, 0.0) for pid in await self._backends())
        return process, backends


async def run_jobqueue(dsn: str, record: Callable[[dict[str, Any]], None]) -> Any:
    from nightwatch_core.clock import SystemClock
    from nightwatch_core.jobs import JobQueue
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://"))
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    app = SimpleNamespace(state=SimpleNamespace(clock=SystemClock(), sessionmaker=sessionmaker))

    async def handler(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        record(payload)

    queue = JobQueue("ab", {"ping": handler})  # the defaults the services run with
    producer = await asyncpg.connect(dsn)

    async def put(payload: dict[str, Any]) -> None:
        # One statement on a raw connection, like PgQueuer's enqueue (and the incident create's
        # job CTE): the A/B compares the workers, not SQLAlchemy against asyncpg on the way in.
        await producer.execute(
            "INSERT INTO ab.jobs (kind, payload) VALUES ('ping', $1::jsonb)", json.dumps(payload)
        )
        queue.wake()  # what a service does after its commit

    async def count() -> int:
        async with engine.connect() as conn:
            return int((await conn.exec_driver_sql("SELECT count(*) FROM ab.jobs")).scalar_one())

    task = asyncio.create_task(queue.worker(app))  # type: ignore[arg-type]

    async def close() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await producer.close()
        await engine.dispose()

    return put, count, close


async def run_pgqueuer(dsn: str, record: Callable[[dict[str, Any]], None]) -> Any:
    from pgqueuer import AsyncpgDriver, Job, QueueManager
    from pgqueuer.queries import Queries

    worker_conn = await asyncpg.connect(dsn)
    producer_conn = await asyncpg.connect(dsn)
    await Queries(AsyncpgDriver(producer_conn)).install()
    producer = Queries(AsyncpgDriver(producer_conn))
    manager = QueueManager(Queries(AsyncpgDriver(worker_conn)))

    @manager.entrypoint("ping")
    async def ping(job: Job) -> None:
        record(json.loads(job.payload or b"{}"))

    async def put(payload: dict[str, Any]) -> None:
        await producer.enqueue("ping", json.dumps(payload).encode())

    async def count() -> int:
        return int(
            await producer_conn.fetchval(
                "SELECT count(*) FROM pgqueuer WHERE status IN ('queued', 'picked')"
            )
        )

    task = asyncio.create_task(manager.run(batch_size=20))

    async def close() -> None:
        manager.shutdown.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        await worker_conn.close()
        await producer_conn.close()

    return put, count, close


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("queue", choices=["jobqueue", "pgqueuer"])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--idle", type=float, default=10.0)
    args = parser.parse_args()

    name = f"nw_ab_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        setup = await asyncpg.connect(dsn)
        await setup.execute(JOBS_TABLE)
        await setup.close()
        latencies: list[float] = []
        done = asyncio.Event()

        def record(payload: dict[str, Any]) -> None:
            latencies.append(time.time() - payload["at"])
            if len(latencies) == payload["of"]:
                done.set()

        starter: Callable[..., Awaitable[Any]] = (
            run_jobqueue if args.queue == "jobqueue" else run_pgqueuer
        )
        put, count, close = await starter(dsn, record)
        try:
            warm = 50
            for _ in range(warm):
                await put({"at": time.time(), "of": warm})
            await asyncio.wait_for(done.wait(), 60)
            latencies.clear()
            done.clear()
            meter = CpuMeter(dsn)
            await meter.begin()
            started = time.monotonic()
            for index in range(args.jobs):
                await put({"at": time.time(), "of": args.jobs})
                pause = started + (index + 1) / args.rate - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
            await asyncio.wait_for(done.wait(), 120)
            # Each queue removes or completes a job after its handler ran: drained = none left.
            for _ in range(12_000):
                if not await count():
                    break
                await asyncio.sleep(0.01)
            drained = time.monotonic() - started
            process, backends = await meter.spent()
            await meter.begin()
            await asyncio.sleep(args.idle)
            idle_process, idle_backends = await meter.spent()
        finally:
            await close()
        ms = sorted(latency * 1000 for latency in latencies)
        print(
            json.dumps(
                {
                    "queue": args.queue,
                    "jobs": args.jobs,
                    "rate": args.rate,
                    "pickup_ms": {p: round(percentile(ms, p / 100), 2) for p in (50, 95, 99)},
                    "drain_s": round(drained, 2),
                    "cpu_ms_per_job": {
                        "process": round(process * 1000 / args.jobs, 3),
                        "postgres": round(backends * 1000 / args.jobs, 3),
                        "total": round((process + backends) * 1000 / args.jobs, 3),
                    },
                    "idle_cpu_percent": {
                        "process": round(idle_process * 100 / args.idle, 2),
                        "postgres": round(idle_backends * 100 / args.idle, 2),
                    },
                }
            )
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
