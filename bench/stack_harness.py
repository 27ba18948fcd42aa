"""Start and stop the real stack for the stack bench, and account for its CPU and memory.

The stack is started exactly as `make up` starts it (tools/stack.py via tests/stack_runner.py),
on its own STACK_DIR and a free STACK_PORT_OFFSET, against a throwaway database that is dropped
at the end — also after an error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import psutil
from nightwatch_core.migrations import libpq_dsn
from nightwatch_core.settings import to_asyncpg_url
from nightwatch_core.testing.databases import create_database, drop_database

from bench.stack_stats import by_service, cpu_delta, cpu_seconds
from tests.stack_runner import Stack, make_stack, up_on_free_ports
from tools.replicas import MAX_REPLICAS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES = "postgresql"
LOAD_GENERATOR = "load generator"
BALANCER = "balancer"  # nginx in front of the replicas (tools/replicas.py), REPLICAS > 1 only
QUIET_WINDOW_SECONDS = 1.0
QUIET_MARGIN = 0.05  # CPU seconds per second above idle still counted as quiet
SERVICES = (
    "alert-ingestion",
    "incident-management",
    "oncall-escalation",
    "notification",
    "api-gateway",
)


def server_url() -> str:
    return libpq_dsn(to_asyncpg_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER_URL))


def bench_replicas() -> int:
    """BENCH_REPLICAS: processes of every service, passed to `make up` as REPLICAS (default 1)."""
    raw = os.environ.get("BENCH_REPLICAS", "1").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_REPLICAS:
        raise SystemExit(
            f"BENCH_REPLICAS must be a whole number from 1 to {MAX_REPLICAS}, not {raw!r}"
        )
    return int(raw)


def _exit_on_sigterm(*_: object) -> None:
    raise SystemExit(143)  # so the `finally` blocks stop the stack and drop the database


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    admin = server_url()
    url = asyncio.run(create_database(admin, repo_root=ROOT, prefix="nw_stackbench"))
    try:
        yield url
    finally:
        asyncio.run(drop_database(admin, url))


@contextlib.contextmanager
def running_stack(database_url: str, replicas: int = 1, **extra_env: str) -> Iterator[Stack]:
    """`make up REPLICAS=replicas` on a fresh STACK_DIR and free ports (``extra_env``: settings
    of every service); `make down` and the directory removed after."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    state_root = Path(tempfile.mkdtemp(prefix="nw-stack-bench-"))
    try:
        stack = up_on_free_ports(
            lambda: make_stack(
                Path(tempfile.mkdtemp(dir=state_root)),
                database_url=database_url,
                REPLICAS=str(replicas),
                **extra_env,
            )
        )
        try:
            yield stack
        finally:
            stack.down()
    finally:
        shutil.rmtree(state_root, ignore_errors=True)


def _cpu_by_pid(pids: list[int]) -> dict[int, float]:
    readings = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            readings[pid] = times.user + times.system
    return readings


def _stack_total(by_process: dict[str, float]) -> float:
    """The stack's and its database's share (the load generator is not the stack)."""
    return sum(value for name, value in by_process.items() if name != LOAD_GENERATOR)


@dataclass
class CpuReading:
    """One reading of every process's CPU seconds: the stack's, the database's, ours."""

    at: float
    stack: dict[str, float]  # service (its replicas summed) or other process -> seconds
    postgres_backends: dict[int, float]  # backend pid of the bench's database -> seconds
    load_generator: float

    def spent_since(self, before: CpuReading) -> dict[str, float]:
        spent = {
            name: seconds - before.stack.get(name, 0.0) for name, seconds in self.stack.items()
        }
        spent[POSTGRES] = cpu_delta(before.postgres_backends, self.postgres_backends)
        spent[LOAD_GENERATOR] = self.load_generator - before.load_generator
        return spent


@dataclass
class StackMeter:
    """Reads CPU and RSS of the stack's processes and of the PostgreSQL backends serving the
    bench's database (not the whole server: other databases on a shared server are not ours)."""

    pids: dict[str, int]
    database_url: str
    connection: asyncpg.Connection | None = None
    rss_samples: dict[str, dict[str, float]] = field(default_factory=dict)

    async def open(self) -> None:
        self.connection = await asyncpg.connect(self.database_url)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()

    async def _backend_pids(self) -> list[int]:
        assert self.connection is not None
        rows = await self.connection.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row["pid"] for row in rows]

    async def read(self) -> CpuReading:
        backends = await self._backend_pids()
        own = psutil.Process().cpu_times()
        return CpuReading(
            at=time.monotonic(),
            stack=by_service({name: cpu_seconds(pid) for name, pid in self.pids.items()}),
            postgres_backends=_cpu_by_pid(backends),
            load_generator=own.user + own.system,
        )

    async def idle_rates(self, windows: int = 3) -> dict[str, float]:
        """CPU seconds per second each process spends while the stack is idle (workers polling,
        Prometheus scraping): the quietest of a few windows."""
        quietest: dict[str, float] = {}
        for _ in range(windows):
            before = await self.read()
            await asyncio.sleep(QUIET_WINDOW_SECONDS)
            after = await self.read()
            elapsed = after.at - before.at
            rates = {name: s / elapsed for name, s in after.spent_since(before).items()}
            if not quietest or _stack_total(rates) < _stack_total(quietest):
                quietest = rates
        return quietest

    async def wait_quiet(
        self, idle_rates: dict[str, float], limit: float
    ) -> tuple[float | None, CpuReading]:
        """Wait until a window's stack CPU is back near idle: whatever a scenario left to do
        asynchronously (linking, timelines, pages) is done. Returns (seconds, reading when it
        went quiet); seconds is None past ``limit``. Knows nothing of the work, only its CPU."""
        started = time.monotonic()
        idle = _stack_total(idle_rates)
        before = await self.read()
        while True:
            await asyncio.sleep(QUIET_WINDOW_SECONDS)
            after = await self.read()
            rate = _stack_total(after.spent_since(before)) / (after.at - before.at)
            if rate <= idle + QUIET_MARGIN:
                return before.at - started, before
            if after.at - started > limit:
                return None, after
            before = after

    def sample_rss(self, label: str) -> None:
        """RSS in MB of each service (with its children, over its replicas) under ``label``
        (start/middle/end)."""
        per_process = {}
        for name, pid in self.pids.items():
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(pid)
                processes = [root, *root.children(recursive=True)]
                per_process[name] = sum(p.memory_info().rss for p in processes) / 2**20
        summed = by_service(per_process)
        self.rss_samples[label] = {name: summed[name] for name in SERVICES if name in summed}
