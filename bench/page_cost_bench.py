"""From new incident to recorded page: CPU per incident across every process (`make bench-pages`).

Starts incident-management, oncall-escalation and notification exactly as `make up` starts them
(tools/stack.py: same uvicorn argv and environment, free ports, a throwaway database), sets up a
team with a user on call around the clock, then creates BENCH_INCIDENTS incidents as fast as
BENCH_CONCURRENCY clients can through `POST /api/v1/incidents` (what correlation does in bulk).

It reports:
- the time from the storm's end until every level-1 page is recorded as a notification;
- the time until the whole path is quiet (no job left in incidents.jobs / oncall.jobs, every
  notification delivered), i.e. the timeline entries are back on the incidents too;
- CPU (user + system, /proc) per incident for each service process and for PostgreSQL (summed over
  the backends of the bench database, except the bench's own polling connection, and attributed to
  the service whose connection each backend serves), from the first create until the pages are
  recorded, and until quiet; minus what each process burns idle (its pollers, measured for
  IDLE_SECONDS before the storm), which is a cost per second, not per incident.

By default (BENCH_SPLIT=1) incident-management and notification each run as two replicas of the same
command (every service is N-replica safe): incident-management's API replica (worker off) takes the
creates, its worker replica runs the start jobs and takes on-call's timeline entries; notification's
API replica (worker off) takes the pages, its worker replica delivers them (mock channel). So the
CPU of the create requests and of the deliveries, which are not the path from a new incident to its
recorded page, shows apart from it. BENCH_SPLIT=0 runs exactly the
three processes of `make up`.

BENCH_BURST=1 (with the split) pauses incident-management's worker replica (SIGSTOP) during the
creates and lets it go at the storm's end: all the new incidents are then due at once, as when
correlation opens many incidents in one transaction, and the figures start there.

    make bench-pages
    BENCH_BURST=1 make bench-pages
    BENCH_INCIDENTS=200 BENCH_CONCURRENCY=20 BENCH_SPLIT=0 make bench-pages

Every wait is bounded (BENCH_TIMEOUT seconds).
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
from nightwatch_core.testing.databases import create_database, drop_database, server_url

from bench.stack_stats import cpu_seconds
from tests.stack_runner import free_port_offset
from tools import stack as stack_tool

ROOT = Path(__file__).resolve().parent.parent
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "800"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "20"))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "180"))
SPLIT = os.environ.get("BENCH_SPLIT", "1") != "0"
BURST = SPLIT and os.environ.get("BENCH_BURST", "0") == "1"
WARMUP = 20
IDLE_SECONDS = 5.0
SERVICES = ("incident-management", "oncall-escalation", "notification")
# BENCH_SPLIT: (the API replica's environment, the worker replica's environment)
SPLITS = {
    "incident-management": ({"JOBS_WORKER_ENABLED": "false"}, {}),
    "notification": ({"NOTIFY_WORKER_ENABLED": "false"}, {}),
}
# Not on the path from a new incident to its recorded page (reported, not counted in "path").
OFF_PATH = ("incident-management.api", "notification.worker")  # creates, deliveries


def socket_ports(pids: dict[str, int]) -> dict[int, str]:
    """Local TCP port -> the service process that owns the socket (from /proc)."""
    owner_of_inode: dict[str, str] = {}
    for name, pid in pids.items():
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir() if fd_dir.exists() else ():
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                owner_of_inode[link[8:-1]] = name
    ports: dict[int, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in owner_of_inode:
                ports[int(fields[1].rsplit(":", 1)[1], 16)] = owner_of_inode[fields[9]]
    return ports


class CpuMeter:
    """CPU per service process, and PostgreSQL's summed over the bench database's backends, each
    backend counted for the service whose connection it serves (matched by the client's port)."""

    def __init__(self, pids: dict[str, int], db: asyncpg.Connection, database: str) -> None:
        self.pids, self.db, self.database = pids, db, database

    async def sample(self) -> dict[str, dict[int, float]]:
        sample = {name: {pid: cpu_seconds(pid)} for name, pid in self.pids.items()}
        owners = socket_ports(self.pids)
        rows = await self.db.fetch(
            "SELECT pid, client_port FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            self.database,
        )
        for row in rows:
            owner = owners.get(row["client_port"], "other")
            sample.setdefault(f"postgresql for {owner}", {})[row["pid"]] = cpu_seconds(row["pid"])
        return sample

    @staticmethod
    def used(
        before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
    ) -> dict[str, float]:
        # A backend that started during the run counts from zero; one that ended is lost (rare:
        # the services' pools keep their connections).
        return {
            name: sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
            for name, pids in after.items()
        }


async def set_up_oncall(oncall: httpx.AsyncClient) -> str:
    suffix = uuid.uuid4().hex[:6]
    user = (
        await oncall.post(
            "/api/v1/users", json={"name": f"Bench {suffix}", "email": f"b-{suffix}@example.com"}
        )
    ).json()
    team = f"bench-{suffix}"
    answer = await oncall.post(
        "/api/v1/teams", json={"name": team, "members": [{"user_id": user["id"]}]}
    )
    assert answer.status_code == 201, answer.text
    answer = await oncall.post(
        "/api/v1/schedules",
        json={
            "name": f"primary-{suffix}",
            "team": team,
            "timezone": "UTC",
            "layers": [
                {
                    "participants": [user["id"]],
                    "rotation_type": "weekly",
                    "start_date": "2026-01-01",
                    "handoff_time": "09:00",
                }
            ],
        },
    )
    assert answer.status_code == 201, answer.text
    return team


async def create_incidents(client: httpx.AsyncClient, team: str, count: int) -> list[str]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    ids: list[str] = []

    async def client_loop() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            body = {
                "title": f"bench incident {i}",
                "service": f"svc-{i % 50}",
                "severity": ("critical", "high", "medium", "low")[i % 4],
                "description": "page cost benchmark",
                "team": team,
            }
            for _ in range(50):  # bounded: the shared PostgreSQL may be out of connections
                response = await client.post("/api/v1/incidents", json=body)
                if response.status_code != 503:
                    break
                await asyncio.sleep(0.2)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

    await asyncio.gather(*(client_loop() for _ in range(CONCURRENCY)))
    return ids


async def wait_until(db: asyncpg.Connection, query: str, args: tuple, want: int) -> float:
    """Poll until ``query`` counts ``want``; return the monotonic time it did (bounded)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if await db.fetchval(query, *args) >= want:
            return time.monotonic()
        await asyncio.sleep(0.02)
    raise TimeoutError(f"not reached within {TIMEOUT}s: {query}")


PAGES = "SELECT count(*) FROM notification.notifications WHERE incident_id = ANY($1::uuid[])"
QUIET = (
    "SELECT CASE WHEN (SELECT count(*) FROM incidents.jobs WHERE dead_at IS NULL) = 0 "
    "AND (SELECT count(*) FROM oncall.jobs WHERE dead_at IS NULL) = 0 "
    "AND (SELECT count(*) FROM oncall.escalations WHERE incident_id = ANY($1::uuid[])) = $2 "
    "AND (SELECT count(*) FROM notification.notifications WHERE status = 'pending') = 0 "
    "THEN 1 ELSE 0 END"
)


async def bench(urls: dict[str, str], meter: CpuMeter, db: asyncpg.Connection) -> None:
    limits = httpx.Limits(max_connections=CONCURRENCY + 5)
    async with (
        httpx.AsyncClient(base_url=urls["incident-management"], timeout=60, limits=limits) as im,
        httpx.AsyncClient(base_url=urls["oncall-escalation"], timeout=60) as oncall,
    ):
        team = await set_up_oncall(oncall)
        warm = await create_incidents(im, team, WARMUP)  # pools, caches, first-call imports
        await wait_until(db, QUIET, (warm, len(warm)), 1)

        # What the processes burn idle (pollers), to tell it apart from the work of the storm.
        idle_from, idle_start = await meter.sample(), time.monotonic()
        await asyncio.sleep(IDLE_SECONDS)
        idle_rate = {
            name: seconds / (time.monotonic() - idle_start)
            for name, seconds in CpuMeter.used(idle_from, await meter.sample()).items()
        }
        before = await meter.sample()
        creating = time.monotonic()
        paused = meter.pids["incident-management.worker"] if BURST else None
        if paused:
            os.kill(paused, signal.SIGSTOP)
        try:
            ids = await create_incidents(im, team, INCIDENTS)
            if paused:  # the figures start when the burst is let go
                before = await meter.sample()
        finally:
            if paused:
                os.kill(paused, signal.SIGCONT)
        storm_end = time.monotonic()
        counted_from = time.monotonic() if BURST else creating
        paged = await wait_until(db, PAGES, (ids,), len(ids))
        at_paged = await meter.sample()
        quiet = await wait_until(db, QUIET, (ids, len(ids)), 1)
        after = await meter.sample()

    entries = await db.fetchval(
        "SELECT count(*) FROM incidents.incident_timeline WHERE incident_id = ANY($1::uuid[]) "
        "AND event_type = 'notification_sent'",
        ids,
    )
    duplicates = await db.fetchval(
        "SELECT count(*) - count(DISTINCT incident_id) FROM notification.notifications "
        "WHERE incident_id = ANY($1::uuid[])",
        ids,
    )
    print(
        f"{INCIDENTS} incidents created in {storm_end - creating:.2f} s "
        f"({INCIDENTS / (storm_end - creating):.0f}/s, {CONCURRENCY} clients)"
        + (
            ": incident-management's worker paused until then, CPU counted from there"
            if BURST
            else ""
        )
    )
    print(f"all level-1 pages recorded {paged - storm_end:+.2f} s after the storm's end")
    print(
        f"path quiet (jobs done, notifications delivered, {entries} 'notification_sent' "
        f"timeline entries) {quiet - storm_end:+.2f} s after the storm's end; "
        f"duplicate pages: {duplicates}"
    )
    idle = sum(idle_rate.values()) * 1000
    print(f"idle (pollers), all processes: {idle:.1f} ms of CPU per second")
    windows = (("until pages recorded", at_paged, paged), ("until quiet", after, quiet))
    for label, sample, end in windows:
        used = CpuMeter.used(before, sample)
        for name, rate in idle_rate.items():  # the storm's work only: minus the idle burn
            used[name] = used.get(name, 0.0) - rate * (end - counted_from)
        total = sum(used.values())
        path = sum(
            seconds
            for name, seconds in used.items()
            if name not in OFF_PATH and name.removeprefix("postgresql for ") not in OFF_PATH
        )
        postgresql = sum(v for k, v in used.items() if k.startswith("postgresql"))
        parts = ", ".join(
            f"{name} {seconds * 1000 / INCIDENTS:.2f}" for name, seconds in sorted(used.items())
        )
        parts += f"; postgresql in all {postgresql * 1000 / INCIDENTS:.2f}"
        # The path: everything but the create requests and the mock deliveries.
        on_path = f"path {path * 1000 / INCIDENTS:.2f}, " if SPLIT else ""
        print(
            f"CPU ms per incident, {label}: {on_path}total {total * 1000 / INCIDENTS:.2f} ({parts})"
        )


async def main() -> None:
    admin = server_url(ROOT)
    database_url = await create_database(admin, repo_root=ROOT, prefix="nw_bench_pages")
    database = database_url.rsplit("/", 1)[1].split("?")[0]
    config = stack_tool.StackConfig(
        state_dir=Path(tempfile.mkdtemp(prefix="nw-page-bench-")),
        host="127.0.0.1",
        port_offset=free_port_offset(),
        ready_timeout=90,
    )
    processes = []
    for process in stack_tool.service_processes(config, database_url):
        if process.name not in SERVICES:
            continue
        if not SPLIT or process.name not in SPLITS:
            processes.append(process)
            continue
        api_env, worker_env = SPLITS[process.name]
        port = process.port + 100
        processes.append(replace(process, name=f"{process.name}.api", env=process.env | api_env))
        processes.append(
            replace(
                process,
                name=f"{process.name}.worker",
                argv=[str(port) if arg == str(process.port) else arg for arg in process.argv],
                port=port,
                ready_url=f"http://127.0.0.1:{port}/health/ready",
                env=process.env | worker_env,
            )
        )
    # On-call sends its timeline entries to incident-management's worker replica: the API
    # replica's CPU is then the creates alone, and all of the path is in the worker's.
    if SPLIT:
        worker = next(p for p in processes if p.name == "incident-management.worker")
        for process in processes:
            if process.name == "oncall-escalation":
                process.env["INCIDENT_MANAGEMENT_URL"] = f"http://127.0.0.1:{worker.port}"
    pids: dict[str, int] = {}
    try:
        for process in processes:
            pids[process.name] = stack_tool.start(config, process)
        failed = stack_tool.wait_ready(config, processes)
        if failed:
            raise RuntimeError(f"not ready: {failed}\n{stack_tool.log_tail(config, failed[0])}")
        urls = {
            p.name.removesuffix(".api"): f"http://127.0.0.1:{p.port}"
            for p in processes
            if not p.name.endswith(".worker")
        }
        db = await asyncpg.connect(database_url)
        try:
            await bench(urls, CpuMeter(pids, db, database), db)
        finally:
            await db.close()
    finally:
        for pid in pids.values():
            stack_tool.stop_pid(pid)
        await drop_database(admin, database_url)


if __name__ == "__main__":
    asyncio.run(main())
