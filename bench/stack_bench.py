"""Alert ingestion on the real stack (`make bench`): what a user of `make up` gets.

Starts the whole stack as `make up` does (tools/stack.py: every service real, its own STACK_DIR,
free ports) on a throwaway database, sets it up through the public APIs (an on-call team, user and
schedule so that new incidents page someone; an `ingest` API key created through the gateway),
then measures, with the raw keep-alive load generator (bench/raw_http_load.py):

0. the 800 groups of (1), one alert each (a storm too, measured like 2);
1. unique alerts over 800 existing (service, severity) groups, single POST, 50 connections,
   sustained BENCH_SECONDS (60); RSS of each service at its start, middle and end;
2. a storm of 800 NEW groups: also the time until all 800 incidents exist and their level-1 pages
   are recorded, and the CPU per new incident (every process, PostgreSQL included);
3. batches of 100 alerts (8 connections);
4. duplicates: the same alert over and over;
5. (1) through the gateway with the API key (X-API-Key), and the ratio gateway / direct.

Each reports accepted alerts/s, request p50/p99, link lag p50/p99 (accepted -> on its incident),
the time for the backlog to drain after the load and for the stack to be quiet again, and CPU
per alert per process (idle CPU taken off). Method and results: docs/benchmarks.md. Only public
routes are used, so the bench keeps working when the internals between the services change.

    make bench
    BENCH_SECONDS=20 make bench            # shorter sustained runs
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres make bench
    BENCH_JSON=/tmp/stack-bench.json make bench   # also write the figures as JSON
    BENCH_REPLICAS=2 make bench            # `make up REPLICAS=2`: CPU summed per service over its
                                           # replicas, nginx (the balancer) in a column of its own
    ROUTING_RULES=200 make bench           # with 200 routing rules (stack_api.add_routing_rules)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import uvloop

from bench.stack_api import add_routing_rules, ingest_api_key, set_up_oncall
from bench.stack_harness import (
    BALANCER,
    LOAD_GENERATOR,
    POSTGRES,
    SERVICES,
    StackMeter,
    bench_replicas,
    running_stack,
    throwaway_database,
)
from bench.stack_scenarios import (
    BATCH_CONNECTIONS,
    BATCH_SIZE,
    CONNECTIONS,
    GROUPS,
    MAX_REQUESTS,
    PAGED_MAX_SECONDS,
    SECONDS,
    Bench,
    Measurement,
    batch_body,
    duplicate_body,
    measure,
    open_bench,
    storm,
    storm_body,
    unique_body,
)
from tests.stack_runner import ADMIN_PASSWORD, Stack

ROUTING_RULES = int(os.environ.get("ROUTING_RULES", "0"))

ROOT = Path(__file__).resolve().parent.parent
ADMIN = (
    os.environ.get("BENCH_ADMIN_USERNAME", "admin"),
    os.environ.get("BENCH_ADMIN_PASSWORD", ADMIN_PASSWORD),
)
CPU_COLUMNS = (*SERVICES, POSTGRES, LOAD_GENERATOR)
SHORT = {
    "alert-ingestion": "ingest",
    "incident-management": "incid",
    "oncall-escalation": "oncall",
    "notification": "notify",
    "api-gateway": "gatew",
    POSTGRES: "pg",
    LOAD_GENERATOR: "loadgen",
    BALANCER: "nginx",
}


async def run(
    stack: Stack, database_url: str
) -> tuple[list[Measurement], dict[str, dict[str, float]]]:
    """The scenarios' measurements, and the RSS samples of (1)."""
    run_id = uuid.uuid4().hex[:6]
    team, storm_team = f"bench-{run_id}", f"storm-{run_id}"
    email = await set_up_oncall(stack.urls["oncall-escalation"], team)
    storm_email = await set_up_oncall(stack.urls["oncall-escalation"], storm_team)
    api_key = await ingest_api_key(stack.urls["api-gateway"], *ADMIN)
    if ROUTING_RULES:
        services = GROUPS // 4  # the bench's services (group_alert): the rules match some of them
        await add_routing_rules(
            stack.urls["alert-ingestion"],
            count=ROUTING_RULES,
            team=team,
            service_of=lambda i: f"bench-{run_id}-svc-{i % services}",
        )
        print(f"{ROUTING_RULES} routing rules created", flush=True)
    meter = StackMeter(stack.pids(), database_url)
    await meter.open()
    idle_rates = await meter.idle_rates()
    print(f"idle stack: {sum(idle_rates.values()) * 1000:.0f} ms of CPU per second", flush=True)
    async with open_bench(
        stack.urls,
        run_id=run_id,
        team=team,
        meter=meter,
        api_key=api_key,
        idle_rates=idle_rates,
        ingestion_limits=httpx.Limits(max_connections=16),
    ) as bench:
        try:
            results = await _scenarios(
                bench, email=email, storm_team=storm_team, storm_email=storm_email
            )
            return results, meter.rss_samples
        finally:
            await meter.close()


async def _scenarios(
    bench: Bench, *, email: str, storm_team: str, storm_email: str
) -> list[Measurement]:
    print(
        f"0. creating the {GROUPS} groups (one alert each: a storm too), until paged...", flush=True
    )
    pre_create = await storm(
        bench,
        f"0. {GROUPS} groups created",
        body_for=unique_body(bench, 0),
        team=bench.team,
        recipient=email,
    )
    _progress(pre_create)
    if math.isnan(pre_create.extra["paged_seconds"]):  # measured on, but said loudly
        print(
            f"   WARNING: only {pre_create.extra['incidents_seen']:.0f} incidents and "
            f"{pre_create.extra['pages_seen']:.0f} pages within {PAGED_MAX_SECONDS:.0f} s",
            flush=True,
        )
    # Warm the gateway's credential cache and connection pool, as a running gateway would be.
    await measure(
        bench,
        "gateway warm-up",
        requests=500,
        body_for=unique_body(bench, 10**8),
        seconds=30,
        through_gateway=True,
    )
    sustained: list[tuple[str, dict[str, Any]]] = [
        (
            "5. unique via gateway",
            {"body_for": unique_body(bench, 2 * 10**9), "through_gateway": True},
        ),
        (
            f"1. unique, {GROUPS} groups",
            {"body_for": unique_body(bench, 10**9), "sample_rss": True},
        ),
        (
            f"3. batches of {BATCH_SIZE}",
            {
                "body_for": batch_body(bench, 3 * 10**9),
                "per_request": BATCH_SIZE,
                "connections": BATCH_CONNECTIONS,
            },
        ),
        ("4. duplicates", {"body_for": duplicate_body(bench)}),
    ]
    # Direct right after the gateway, so the ratio compares like with like. The stack absorbs
    # alerts more slowly than it accepts them: a scenario may start before the previous one's
    # follow-up is done, so the slower gateway goes first (a smaller backlog to leave behind).
    # Batches follow within the correlation window (300 s), so their groups are still open;
    # the storm is last (waiting for its pages takes minutes).
    results = [pre_create]
    for name, options in sustained:
        print(f"{name}: {SECONDS:.0f} s...", flush=True)
        results.append(await measure(bench, name, requests=MAX_REQUESTS, **options))
        _progress(results[-1])
    print(f"2. storm of {GROUPS} new groups, until paged...", flush=True)
    results.append(
        await storm(
            bench,
            f"2. storm, {GROUPS} new groups",
            body_for=storm_body(bench, storm_team),
            team=storm_team,
            recipient=storm_email,
        )
    )
    _progress(results[-1])
    return sorted(results, key=lambda m: m.name)


def _progress(m: Measurement) -> None:
    """One line as each scenario ends, so a run stopped later still shows what it measured."""
    print(
        f"   {m.load.alerts:,} alerts, {m.load.errors} errors, {m.load.rate:,.0f}/s, "
        f"p99 {m.load.percentile(0.99):.0f} ms, quiet again {_fmt_seconds(m.settled_seconds)}, "
        f"CPU {sum(m.cpu_ms_per_alert.values()):.3f} ms/alert"
        + (
            f", {m.extra['incidents_seen']:.0f} incidents and {m.extra['pages_seen']:.0f} pages"
            f" {_fmt_seconds(m.extra['paged_seconds'])} after"
            if m.extra
            else ""
        ),
        flush=True,
    )


def _fmt_seconds(value: float | None) -> str:
    return "not within limit" if value is None or math.isnan(value) else f"{value:.2f} s"


def print_report(results: list[Measurement], rss: dict[str, dict[str, float]]) -> None:
    print(
        "\n| scenario | alerts | errors | alerts/s | p50 ms | p99 ms | linked at answer "
        "| link lag p50 / p99 ms | backlog drained | quiet again |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|---|")
    for m in results:
        linked = m.lag.linked_when_answered / m.lag.accepted if m.lag.accepted else 0.0
        print(
            f"| {m.name} | {m.load.alerts:,} | {m.load.errors} | {m.load.rate:,.0f} "
            f"| {m.load.percentile(0.5):.1f} | {m.load.percentile(0.99):.1f} | {linked:.1%} "
            f"| {m.lag_ms(0.5):.0f} / {m.lag_ms(0.99):.0f} | {_fmt_seconds(m.drain_seconds)} "
            f"| {_fmt_seconds(m.settled_seconds)} |"
        )
        if m.load.errors:
            print(f"    {m.name}: error statuses {m.load.error_statuses}")
        if m.lag.pending_since or m.lag.untracked:
            print(
                f"    {m.name}: {len(m.lag.pending_since)} never seen linked, "
                f"{m.lag.untracked} not tracked"
            )
    print("\nCPU ms per alert, per process (first request until the stack was quiet again):\n")
    columns = cpu_columns(results)
    print("| scenario | " + " | ".join(SHORT[c] for c in columns) + " | all |")
    print("|---|" + "---:|" * (len(columns) + 1))
    for m in results:
        per = m.cpu_ms_per_alert
        cells = " | ".join(f"{per.get(c, 0.0):.3f}" for c in columns)
        print(f"| {m.name} | {cells} | {sum(per.values()):.3f} |")
    by_number = {m.name[:2]: m for m in results}
    direct, gateway = by_number["1."], by_number["5."]
    ratio = gateway.load.rate / direct.load.rate if direct.load.rate else 0.0
    print(
        f"\ngateway / direct: {ratio:.2f} "
        f"({gateway.load.rate:,.0f} / {direct.load.rate:,.0f} alerts/s)"
    )
    for m in (by_number["0."], by_number["2."]):
        print(
            f"{m.name}: all {GROUPS} incidents open and paged "
            f"{_fmt_seconds(m.extra['paged_seconds'])} after the last POST; CPU per new "
            f"incident, every process: {m.extra['cpu_ms_per_incident']:.1f} ms"
        )
    samples = " / ".join(label for label in ("start", "middle", "end"))
    print(f"\nRSS MB per service during (1), {samples}:")
    for name in SERVICES:
        sizes = " / ".join(f"{rss.get(label, {}).get(name, 0):.0f}" for label in rss)
        print(f"  {name:<20} {sizes}")


def cpu_columns(results: list[Measurement]) -> tuple[str, ...]:
    """The CPU table's columns: nginx too when replicas ran behind it (REPLICAS > 1)."""
    balanced = any(BALANCER in m.cpu for m in results)
    return (*SERVICES, BALANCER, POSTGRES, LOAD_GENERATOR) if balanced else CPU_COLUMNS


def to_json(results: list[Measurement], rss: dict[str, dict[str, float]]) -> dict[str, object]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "command": "make bench",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
        "commit": commit,
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "replicas": bench_replicas(),
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        "rss_mb": rss,
        "scenarios": [
            {
                "name": m.name,
                "alerts": m.load.alerts,
                "errors": m.load.errors,
                "alerts_per_s": round(m.load.rate, 1),
                "p50_ms": round(m.load.percentile(0.5), 2),
                "p99_ms": round(m.load.percentile(0.99), 2),
                "linked_at_answer": m.lag.linked_when_answered,
                "link_lag_p50_ms": round(m.lag_ms(0.5), 1),
                "link_lag_p99_ms": round(m.lag_ms(0.99), 1),
                "drain_seconds": m.drain_seconds,
                "drain_source": m.drain_source,
                "settled_seconds": m.settled_seconds,
                "cpu_ms_per_alert": {k: round(v, 4) for k, v in m.cpu_ms_per_alert.items()},
                **m.extra,
            }
            for m in results
        ],
    }


def main() -> int:
    print(
        f"{os.cpu_count()} CPUs shared by the stack, PostgreSQL and the load generator; load average {os.getloadavg()[0]:.1f}"
    )
    replicas = bench_replicas()
    if replicas > 1:
        print(f"`make up REPLICAS={replicas}`: CPU summed per service over its replicas")
    with throwaway_database() as database_url, running_stack(database_url, replicas) as stack:
        print(
            f"stack up on {stack.urls['alert-ingestion']} (gateway {stack.urls['api-gateway']}), STACK_DIR {stack.state_dir}"
        )
        results, rss = uvloop.run(run(stack, database_url))
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(to_json(results, rss), indent=2))
    print_report(results, rss)
    return 0 if all(m.load.errors == 0 for m in results) else 1


if __name__ == "__main__":
    sys.exit(main())
