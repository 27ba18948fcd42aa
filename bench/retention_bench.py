"""Retention under load: ingest p99 and list p95 through the gateway, with retention off and then
while it removes millions of old alerts (`make bench-retention`; issue #16: within 10 %).

One throwaway database and the stack as `make up` starts it. Old alerts are seeded by SQL
(``RETENTION_BENCH_ALERTS``, default 10,000,000, spread over 100 to 215 days ago, on 20 resolved
incidents opened through the API, so every batch asks incident-management). Then, twice for
``RETENTION_BENCH_SECONDS`` (60): single alerts at ``RETENTION_BENCH_RATE`` a second (100) and the
alerts and incidents lists (newest 50) five times a second, open loop (latency counted from when a
request was due), retention off (``RETENTION_ENABLED=false``) and then on. Reports rows removed a
second and the CPU the whole stack, PostgreSQL included, spent per removed row.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx

from bench.stack_api import admin_headers
from bench.stack_harness import LOAD_GENERATOR, StackMeter, running_stack, throwaway_database
from bench.stack_stats import percentile
from tests.stack_runner import ADMIN

ALERTS = int(os.environ.get("RETENTION_BENCH_ALERTS", "10000000"))
SECONDS = float(os.environ.get("RETENTION_BENCH_SECONDS", "60"))
RATE = float(os.environ.get("RETENTION_BENCH_RATE", "100"))
LIST_RATE = 5.0
INCIDENTS = 20

SEED = """
    INSERT INTO ingestion.alerts (id, fingerprint, service, severity, message, labels,
        alert_timestamp, received_at, incident_id, correlation_result, linked_at, team)
    SELECT gen_random_uuid(), md5(i::text) || md5((-i)::text), 'old-' || (i % 50), 'high',
        'an old alert', '{}'::jsonb, t, t, ($3::uuid[])[1 + i % $4], 'correlated', t, 'bench'
    FROM generate_series($1::bigint, $2::bigint) AS i,
         LATERAL (SELECT now() - interval '100 days' - i * interval '1 second') AS at(t)
"""


async def _open_resolved_incidents(
    gateway: httpx.AsyncClient, headers: dict[str, str]
) -> list[str]:
    ids = []
    for n in range(INCIDENTS):
        alert = {"service": f"old-{n}", "severity": "high", "message": "retention bench"}
        placed = await gateway.post("/api/v1/alerts", json=alert, headers=headers)
        placed.raise_for_status()
        incident_id = placed.json()["incident_id"]
        resolved = await gateway.patch(
            f"/api/v1/incidents/{incident_id}", json={"status": "resolved"}, headers=headers
        )
        resolved.raise_for_status()
        ids.append(incident_id)
    return ids


async def _seed(database_url: str, incident_ids: list[str]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        started, step = time.monotonic(), 500_000
        for first in range(1, ALERTS + 1, step):
            last = min(ALERTS, first + step - 1)
            await conn.execute(SEED, first, last, [uuid.UUID(i) for i in incident_ids], INCIDENTS)
            print(f"  seeded {last:,} old alerts ({time.monotonic() - started:.0f} s)", flush=True)
        await conn.execute("ANALYZE ingestion.alerts")
    finally:
        await conn.close()


async def _paced(rate: float, seconds: float, call: Callable[[int], Awaitable[None]]) -> None:
    """Start ``call(i)`` at ``rate`` a second for ``seconds`` (bounded), without waiting on it."""
    tasks, started = [], time.monotonic()
    for i in range(int(rate * seconds)):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(call(i)))
    await asyncio.gather(*tasks)


async def _phase(
    name: str, gateway: httpx.AsyncClient, headers: dict[str, str], run_id: str
) -> dict[str, float]:
    ingest: list[float] = []
    lists: list[float] = []
    failures = 0
    first = time.monotonic()

    async def timed(sink: list[float], due: float, request: Awaitable[httpx.Response]) -> None:
        nonlocal failures
        try:
            if (await request).status_code >= 300:
                failures += 1
        except httpx.HTTPError:  # counted, with the time it took to fail
            failures += 1
        sink.append((time.monotonic() - due) * 1000)

    async def send_alert(i: int) -> None:
        alert = {"service": f"live-{run_id}-{i % 20}", "severity": "high", "message": f"{name} {i}"}
        request = gateway.post("/api/v1/alerts", json=alert, headers=headers)
        await timed(ingest, first + i / RATE, request)

    async def read_lists(i: int) -> None:
        path = ("/api/v1/alerts", "/api/v1/incidents")[i % 2]
        request = gateway.get(path, params={"limit": 50}, headers=headers)
        await timed(lists, first + i / LIST_RATE, request)

    await asyncio.gather(_paced(RATE, SECONDS, send_alert), _paced(LIST_RATE, SECONDS, read_lists))
    return {
        "ingest_p99_ms": percentile(ingest, 0.99),
        "list_p95_ms": percentile(lists, 0.95),
        "failures": failures,
    }


async def _count_old(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM ingestion.alerts WHERE team = 'bench'")
        )
    finally:
        await conn.close()


async def _measure(
    stack_urls: dict[str, str], pids: dict[str, int], database_url: str, name: str, seed: bool
) -> dict[str, float]:
    meter = StackMeter(pids, database_url)
    await meter.open()
    try:
        # Open loop: a request waiting for a connection is late, not lost (its wait is counted).
        limits = httpx.Limits(max_connections=64)
        timeout = httpx.Timeout(30, pool=None)
        async with httpx.AsyncClient(
            base_url=stack_urls["api-gateway"], timeout=timeout, limits=limits
        ) as gateway:
            headers = await admin_headers(gateway, *ADMIN)
            if seed:
                print(f"seeding {ALERTS:,} old alerts", flush=True)
                await _seed(database_url, await _open_resolved_incidents(gateway, headers))
            old_before = await _count_old(database_url)
            before = await meter.read()
            figures = await _phase(name, gateway, headers, uuid.uuid4().hex[:6])
            after = await meter.read()
            old_after = await _count_old(database_url)
    finally:
        await meter.close()
    removed = old_before - old_after
    spent = after.spent_since(before)
    figures |= {
        "removed": removed,
        "removed_per_s": removed / SECONDS,
        "stack_cpu_s": sum(spent.values()) - spent.get(LOAD_GENERATOR, 0.0),
    }
    print(f"{name}: {figures}", flush=True)
    return figures


def main() -> None:
    with throwaway_database() as database_url:
        with running_stack(database_url, RETENTION_ENABLED="false") as stack:
            off = asyncio.run(
                _measure(stack.urls, stack.pids(), database_url, "retention off", True)
            )
        # A short interval: the first pass starts with the stack and runs through the phase.
        with running_stack(database_url, RETENTION_INTERVAL_SECONDS="5") as stack:
            on = asyncio.run(
                _measure(stack.urls, stack.pids(), database_url, "retention on", False)
            )
    print(
        f"\n{ALERTS:,} old alerts, {RATE:.0f} alerts/s + {LIST_RATE:.0f} list reads/s, {SECONDS:.0f} s each"
    )
    for key in ("ingest_p99_ms", "list_p95_ms"):
        ratio = on[key] / off[key] if off[key] else float("nan")
        print(
            f"  {key:15s} off {off[key]:8.1f}  on {on[key]:8.1f}  ({ratio:.2f}x; target <= 1.10x)"
        )
    extra = on["stack_cpu_s"] - off["stack_cpu_s"]  # the same load, plus retention
    per_row = extra / on["removed"] * 1e6 if on["removed"] else 0.0
    print(
        f"  removed {on['removed']:,} rows ({on['removed_per_s']:,.0f}/s); stack CPU (all "
        f"processes + PostgreSQL) {off['stack_cpu_s']:.1f} s off, {on['stack_cpu_s']:.1f} s on: "
        f"{per_row:.1f} us per removed row"
    )


if __name__ == "__main__":
    main()
