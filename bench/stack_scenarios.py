"""The stack bench's scenarios: what each sends, and how one is measured end to end.

A measurement covers the load (alerts/s, request p50/p99), each alert's link lag (accepted -> on
its incident), the time for the link backlog to drain once the load stops, and the CPU every
process spent from the first request until the backlog drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import orjson

from bench.raw_http_load import Result, drive
from bench.stack_api import BACKLOG_GAUGE, LinkTracker, count_total, link_backlog
from bench.stack_harness import CpuReading, StackMeter
from bench.stack_stats import minus_idle, percentile

SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
BATCH_CONNECTIONS = int(os.environ.get("BENCH_BATCH_CONNECTIONS", "8"))
BATCH_SIZE = 100
# Existing (service, severity) groups of the sustained scenarios; also the storm's new groups.
GROUPS = int(os.environ.get("BENCH_GROUPS", "800"))
SEVERITIES = ("critical", "high", "medium", "low")
MAX_REQUESTS = 10_000_000  # the count bound of a sustained run (its time bound is SECONDS)
DRAIN_MAX_SECONDS = float(os.environ.get("BENCH_DRAIN_MAX_SECONDS", "120"))
# The stack's asynchronous follow-up of a load (timelines, pages) can take minutes here.
QUIET_MAX_SECONDS = float(os.environ.get("BENCH_QUIET_MAX_SECONDS", "300"))
# Opening and paging 800 incidents took ~45 s + ~100 s on the busy 2-core machine: room for that.
PAGED_MAX_SECONDS = float(os.environ.get("BENCH_PAGED_MAX_SECONDS", "600"))
LAG_TRACKED_MAX = 20_000  # pending alerts whose lag is polled; beyond that only counted


@dataclass
class Bench:
    """The running stack as the scenarios see it."""

    run_id: str  # in every service name and message: fingerprints never repeat across runs
    team: str  # on-call team of the sustained scenarios' groups
    ingestion_port: int
    gateway_port: int
    ingestion: httpx.AsyncClient
    incidents: httpx.AsyncClient
    notification: httpx.AsyncClient
    meter: StackMeter
    api_key: str = ""
    idle_rates: dict[str, float] = field(default_factory=dict)  # process -> idle CPU s/s


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@contextlib.asynccontextmanager
async def open_bench(
    urls: dict[str, str],
    *,
    run_id: str,
    team: str,
    meter: StackMeter,
    api_key: str,
    idle_rates: dict[str, float],
    ingestion_limits: httpx.Limits | None = None,
) -> AsyncIterator[Bench]:
    """The scenarios' view of a running stack (its public clients), closed afterwards."""
    async with (
        httpx.AsyncClient(
            base_url=urls["alert-ingestion"],
            timeout=10,
            **({"limits": ingestion_limits} if ingestion_limits else {}),
        ) as ingestion,
        httpx.AsyncClient(base_url=urls["incident-management"], timeout=10) as incidents,
        httpx.AsyncClient(base_url=urls["notification"], timeout=10) as notification,
    ):
        yield Bench(
            run_id=run_id,
            team=team,
            ingestion_port=port_of(urls["alert-ingestion"]),
            gateway_port=port_of(urls["api-gateway"]),
            ingestion=ingestion,
            incidents=incidents,
            notification=notification,
            meter=meter,
            api_key=api_key,
            idle_rates=idle_rates,
        )


# ------------------------------------------------------------------ bodies
def _alert(bench: Bench, i: int, *, service: str, severity: str, team: str) -> dict[str, object]:
    return {
        "service": service,
        "severity": severity,
        "message": f"HTTP 5xx error rate > 10% ({bench.run_id} #{i})",
        "labels": {"env": "production", "team": team, "pod": f"pod-{i % 97}"},
    }


def group_alert(bench: Bench, i: int) -> dict[str, object]:
    """The i-th alert over the GROUPS existing groups (200 services x 4 severities), unique."""
    services = GROUPS // len(SEVERITIES)
    return _alert(
        bench,
        i,
        service=f"bench-{bench.run_id}-svc-{i % services}",
        severity=SEVERITIES[(i // services) % len(SEVERITIES)],
        team=bench.team,
    )


def unique_body(bench: Bench, first: int) -> Callable[[int], bytes]:
    return lambda i: orjson.dumps(group_alert(bench, first + i))


def batch_body(bench: Bench, first: int) -> Callable[[int], bytes]:
    def body(i: int) -> bytes:
        start = first + i * BATCH_SIZE
        return orjson.dumps([group_alert(bench, start + j) for j in range(BATCH_SIZE)])

    return body


def duplicate_body(bench: Bench) -> Callable[[int], bytes]:
    same = orjson.dumps(
        _alert(bench, 0, service=f"bench-{bench.run_id}-dup", severity="high", team=bench.team)
    )
    return lambda _i: same


def storm_body(bench: Bench, team: str) -> Callable[[int], bytes]:
    """One alert per NEW group: unique service names, so each opens an incident."""
    return lambda i: orjson.dumps(
        _alert(bench, i, service=f"storm-{bench.run_id}-{i}", severity="critical", team=team)
    )


# ------------------------------------------------------------------ measuring
@dataclass
class Measurement:
    name: str
    load: Result
    # process -> CPU seconds from the first request until the stack was quiet again, so the
    # asynchronous work an alert causes (linking, timelines, pages) is counted too; what the
    # process spends idle in that time (pollers, scrapes) is taken off
    cpu: dict[str, float]
    lag: LinkTracker
    drain_seconds: float | None  # None: not drained within DRAIN_MAX_SECONDS
    drain_source: str
    settled_seconds: float | None  # from the end of the load until the stack was quiet again
    extra: dict[str, float] = field(default_factory=dict)

    def lag_ms(self, q: float) -> float:
        return percentile(self.lag.lags, q, zeros=self.lag.linked_when_answered) * 1000

    @property
    def cpu_ms_per_alert(self) -> dict[str, float]:
        alerts = self.load.alerts or 1
        return {name: seconds / alerts * 1000 for name, seconds in self.cpu.items()}


async def wait_drained(bench: Bench, tracker: LinkTracker) -> tuple[float | None, str]:
    """Seconds from now until nothing accepted is off its incident: ingestion's backlog gauge
    when it exports one, else the pending answers this run is still polling. Bounded."""
    started = time.monotonic()
    source = "pending answers polled"
    while time.monotonic() - started < DRAIN_MAX_SECONDS:
        try:
            backlog = await link_backlog(bench.ingestion)
        except httpx.HTTPError:
            await asyncio.sleep(0.05)
            continue
        if backlog is not None:
            source = f"{BACKLOG_GAUGE} gauge"
        left = backlog if backlog is not None else len(tracker.pending_since) + tracker.untracked
        if not left:
            return time.monotonic() - started, source
        await asyncio.sleep(0.05)
    return None, source


async def measure(
    bench: Bench,
    name: str,
    *,
    requests: int,
    body_for: Callable[[int], bytes],
    per_request: int = 1,
    connections: int = CONNECTIONS,
    seconds: float = SECONDS,
    through_gateway: bool = False,
    sample_rss: bool = False,
) -> Measurement:
    tracker = LinkTracker(max_tracked=LAG_TRACKED_MAX)
    load_done = asyncio.Event()
    poller = asyncio.create_task(
        tracker.poll(bench.ingestion, load_done, time.monotonic() + seconds + DRAIN_MAX_SECONDS)
    )
    rss_task = asyncio.create_task(_rss_midway(bench.meter, seconds)) if sample_rss else None
    before = await bench.meter.read()
    load = await drive(
        name,
        bench.gateway_port if through_gateway else bench.ingestion_port,
        requests=requests,
        connections=connections,
        body_for=body_for,
        per_request=per_request,
        server_pid=None,
        max_seconds=seconds,
        headers={"X-API-Key": bench.api_key} if through_gateway else None,
        on_answer=tracker.on_answer,
    )
    load_ended = time.monotonic()
    if rss_task is not None:
        rss_task.cancel()
        bench.meter.sample_rss("end")
    load_done.set()
    return await _settle(bench, name, load, tracker, before, load_ended, poller)


async def _settle(
    bench: Bench,
    name: str,
    load: Result,
    tracker: LinkTracker,
    before: CpuReading,
    load_ended: float,
    poller: asyncio.Task[None],
) -> Measurement:
    """After the load: until the backlog drained, then until the stack is quiet again."""
    drain_seconds, source = await wait_drained(bench, tracker)
    quiet_seconds, quiet = await bench.meter.wait_quiet(bench.idle_rates, QUIET_MAX_SECONDS)
    await poller
    return Measurement(
        name,
        load,
        minus_idle(quiet.spent_since(before), bench.idle_rates, quiet.at - before.at),
        tracker,
        drain_seconds,
        source,
        settled_seconds=None if quiet_seconds is None else quiet.at - load_ended,
    )


async def _rss_midway(meter: StackMeter, seconds: float) -> None:
    meter.sample_rss("start")
    await asyncio.sleep(seconds / 2)
    meter.sample_rss("middle")


async def wait_paged(
    bench: Bench, *, team: str, recipient: str, incidents: int, limit: float
) -> tuple[float | None, int, int]:
    """Seconds from now until ``team`` has ``incidents`` incidents and ``recipient`` as many pages
    recorded by the notification service (None past ``limit``), and the counts last seen."""
    started = time.monotonic()
    opened = paged = 0
    while time.monotonic() - started < limit:
        # A busy shared PostgreSQL answers 503 now and then: that is "not yet", not the end.
        with contextlib.suppress(RuntimeError, httpx.HTTPError):
            opened = await count_total(bench.incidents, "/api/v1/incidents", team=team)
            paged = await count_total(
                bench.notification, "/api/v1/notifications", recipient=recipient
            )
            if opened >= incidents and paged >= incidents:
                return time.monotonic() - started, opened, paged
        await asyncio.sleep(0.1)
    return None, opened, paged


async def storm(
    bench: Bench, name: str, *, body_for: Callable[[int], bytes], team: str, recipient: str
) -> Measurement:
    """GROUPS alerts of GROUPS new groups at once; then until every incident is open and paged.
    CPU per new incident: every process, from the first request until the last page."""
    tracker = LinkTracker(max_tracked=LAG_TRACKED_MAX)
    load_done = asyncio.Event()
    poller = asyncio.create_task(
        tracker.poll(bench.ingestion, load_done, time.monotonic() + PAGED_MAX_SECONDS * 2)
    )
    before = await bench.meter.read()
    load = await drive(
        name,
        bench.ingestion_port,
        requests=GROUPS,
        connections=CONNECTIONS,
        body_for=body_for,
        per_request=1,
        server_pid=None,
        max_seconds=PAGED_MAX_SECONDS,
        on_answer=tracker.on_answer,
    )
    load_ended = time.monotonic()
    load_done.set()
    paged_seconds, opened, pages = await wait_paged(
        bench, team=team, recipient=recipient, incidents=GROUPS, limit=PAGED_MAX_SECONDS
    )
    paged = await bench.meter.read()
    measurement = await _settle(bench, name, load, tracker, before, load_ended, poller)
    spent = minus_idle(paged.spent_since(before), bench.idle_rates, paged.at - before.at)
    cpu_until_paged = sum(spent.values())
    measurement.extra = {
        "paged_seconds": paged_seconds if paged_seconds is not None else float("nan"),
        "cpu_ms_per_incident": cpu_until_paged / GROUPS * 1000,
        "incidents_seen": opened,
        "pages_seen": pages,
    }
    return measurement
