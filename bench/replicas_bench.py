"""Ingestion and incident paths at 1 and then 2 replicas per service, in one run
(`make bench-replicas`, issue #17).

For each replica count: a throwaway database and `make up REPLICAS=N` on free ports
(bench/stack_harness.py; with N > 1 the bundled nginx is in front of the replicas, as
tools/replicas.py runs it), an on-call team and an `ingest` API key set up through the public
APIs, BENCH_GROUPS (200 here) groups created and paged, then, each for BENCH_SECONDS (10 here):

1. ingest: unique alerts over the existing groups, single POST, straight to alert ingestion;
2. ingest: the same through the gateway (X-API-Key);
3. incidents: create (`POST /api/v1/incidents` to incident management);
4. incidents: acknowledge those incidents (`PATCH`, with the in-request escalation stop).

Each row: requests/s, p50/p99, and CPU ms per request summed over every process of the stack
(each service over its replicas, PostgreSQL's backends of the bench's database, nginx) from the
first request until the stack was quiet again, idle CPU taken off; the load generator is not the
stack and is shown apart. With N > 1 nginx closes every connection after its answer (no
keep-alive, tools/replicas.py), so the load generator connects again per request there.

    make bench-replicas
    BENCH_SECONDS=30 BENCH_REPLICA_COUNTS=1,2,3 make bench-replicas
"""

from __future__ import annotations

import os

# This target's own defaults (short runs), before stack_scenarios reads them.
os.environ.setdefault("BENCH_SECONDS", "10")
os.environ.setdefault("BENCH_GROUPS", "200")

import sys
import uuid
from dataclasses import dataclass

import uvloop

from bench.incidents_bench import ack_request, create_request, open_ids
from bench.raw_http_load import Result, drive
from bench.stack_api import ingest_api_key, set_up_oncall
from bench.stack_bench import SHORT
from bench.stack_harness import (
    BALANCER,
    LOAD_GENERATOR,
    POSTGRES,
    SERVICES,
    StackMeter,
    running_stack,
    throwaway_database,
)
from bench.stack_scenarios import (
    CONNECTIONS,
    GROUPS,
    MAX_REQUESTS,
    QUIET_MAX_SECONDS,
    SECONDS,
    Bench,
    measure,
    open_bench,
    port_of,
    unique_body,
)
from bench.stack_stats import minus_idle
from tests.stack_runner import ADMIN, Stack
from tools.replicas import MAX_REPLICAS

INCIDENT_CONNECTIONS = int(os.environ.get("BENCH_CONCURRENCY", "10"))
PROCESS_COLUMNS = (*SERVICES, BALANCER, POSTGRES)


def replica_counts() -> tuple[int, ...]:
    """BENCH_REPLICA_COUNTS: the replica counts to run, in order (default 1,2)."""
    raw = os.environ.get("BENCH_REPLICA_COUNTS", "1,2")
    parts = [part.strip() for part in raw.split(",")]
    if not all(part.isdigit() and 1 <= int(part) <= MAX_REPLICAS for part in parts):
        raise SystemExit(
            f"BENCH_REPLICA_COUNTS: whole numbers from 1 to {MAX_REPLICAS} separated by commas,"
            f" not {raw!r}"
        )
    return tuple(int(part) for part in parts)


@dataclass
class Row:
    scenario: str
    replicas: int
    load: Result
    cpu: dict[str, float]  # process (services summed over replicas) -> CPU seconds, idle off

    def ms_per_request(self, *names: str) -> float:
        answered = self.load.alerts or 1  # requests answered as expected
        return sum(self.cpu.get(name, 0.0) for name in names) / answered * 1000

    @property
    def stack_ms(self) -> float:
        """Every process but the load generator, per request."""
        return self.ms_per_request(*(name for name in self.cpu if name != LOAD_GENERATOR))


async def _incident_scenario(
    bench: Bench, name: str, replicas: int, port: int, requests: list[bytes], ok: int
) -> Row:
    before = await bench.meter.read()
    load = await drive(
        name,
        port,
        requests=len(requests),
        connections=INCIDENT_CONNECTIONS,
        request_for=requests.__getitem__,
        server_pid=None,
        max_seconds=SECONDS,
        ok_statuses=(ok,),
    )
    _, quiet = await bench.meter.wait_quiet(bench.idle_rates, QUIET_MAX_SECONDS)
    spent = minus_idle(quiet.spent_since(before), bench.idle_rates, quiet.at - before.at)
    return Row(name, replicas, load, spent)


async def _paths(stack: Stack, database_url: str, replicas: int) -> list[Row]:
    run_id = uuid.uuid4().hex[:6]
    team = f"bench-{run_id}"
    await set_up_oncall(stack.urls["oncall-escalation"], team)
    api_key = await ingest_api_key(stack.urls["api-gateway"], *ADMIN)
    meter = StackMeter(stack.pids(), database_url)
    await meter.open()
    async with open_bench(
        stack.urls,
        run_id=run_id,
        team=team,
        meter=meter,
        api_key=api_key,
        idle_rates=await meter.idle_rates(),
    ) as bench:
        try:
            print(f"  {GROUPS} groups (one alert each), until the stack is quiet...", flush=True)
            await measure(
                bench, "groups", requests=GROUPS, body_for=unique_body(bench, 0), seconds=60
            )
            await measure(  # the gateway's credential cache and pool, as a running one has them
                bench,
                "gateway warm-up",
                requests=200,
                body_for=unique_body(bench, 10**8),
                seconds=30,
                through_gateway=True,
            )
            rows = []
            for name, through_gateway, first in (
                ("ingest: unique alert, direct", False, 10**9),
                ("ingest: unique alert, via gateway", True, 2 * 10**9),
            ):
                print(f"  {name}: {SECONDS:.0f} s...", flush=True)
                m = await measure(
                    bench,
                    name,
                    requests=MAX_REQUESTS,
                    body_for=unique_body(bench, first),
                    through_gateway=through_gateway,
                )
                rows.append(Row(name, replicas, m.load, m.cpu))
            port = port_of(stack.urls["incident-management"])
            # More than a short run can send: the run is bounded by BENCH_SECONDS.
            creates = [create_request(i, run_id) for i in range(int(SECONDS * 2000))]
            print(f"  incidents: create, then acknowledge: {SECONDS:.0f} s each...", flush=True)
            rows.append(
                await _incident_scenario(bench, "incidents: create", replicas, port, creates, 201)
            )
            acks = [ack_request(i) for i in await open_ids(database_url, run_id)]
            rows.append(
                await _incident_scenario(bench, "incidents: acknowledge", replicas, port, acks, 200)
            )
            return rows
        finally:
            await meter.close()


def print_table(rows: list[Row]) -> None:
    print(
        "\n| scenario | replicas | requests ok | errors | req/s | p50 ms | p99 ms "
        "| CPU ms/req, all processes | of which nginx | of which PostgreSQL | load generator |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in sorted(rows, key=lambda r: (r.scenario, r.replicas)):
        load = row.load
        print(
            f"| {row.scenario} | {row.replicas} | {load.alerts:,} | {load.errors} "
            f"| {load.rate:,.0f} | {load.percentile(0.5):.1f} | {load.percentile(0.99):.1f} "
            f"| {row.stack_ms:.2f} | {row.ms_per_request(BALANCER):.2f} "
            f"| {row.ms_per_request(POSTGRES):.2f} | {row.ms_per_request(LOAD_GENERATOR):.2f} |"
        )
        if load.errors:
            print(f"    {row.scenario} at {row.replicas}: error statuses {load.error_statuses}")
    print("\nCPU ms per request, per process (each service summed over its replicas):\n")
    print("| scenario | replicas | " + " | ".join(SHORT[c] for c in PROCESS_COLUMNS) + " |")
    print("|---|---:|" + "---:|" * len(PROCESS_COLUMNS))
    for row in sorted(rows, key=lambda r: (r.scenario, r.replicas)):
        cells = " | ".join(f"{row.ms_per_request(c):.2f}" for c in PROCESS_COLUMNS)
        print(f"| {row.scenario} | {row.replicas} | {cells} |")


def main() -> int:
    rows: list[Row] = []
    print(
        f"{os.cpu_count()} CPUs shared by the stack, PostgreSQL and the load generator; "
        f"load average {os.getloadavg()[0]:.1f}; {SECONDS:.0f} s per scenario, "
        f"{CONNECTIONS} connections for alerts, {INCIDENT_CONNECTIONS} for incidents",
        flush=True,
    )
    for replicas in replica_counts():
        print(f"make up REPLICAS={replicas}:", flush=True)
        with throwaway_database() as url, running_stack(url, replicas) as stack:
            rows += uvloop.run(_paths(stack, url, replicas))
        print(f"  done; load average {os.getloadavg()[0]:.1f}", flush=True)
    print_table(rows)
    return 0 if all(row.load.errors == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
