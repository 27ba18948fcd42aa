"""The benchmarks' load generator: raw asyncio HTTP/1.1 keep-alive connections posting JSON.

Much lighter than an HTTP library, so more of a small machine's cores go to the server under test;
it still runs on those cores and its own CPU per request is reported. Every run is bounded by a
request count and by ``max_seconds``; it only ever connects to loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil


@dataclass
class Result:
    name: str
    alerts: int = 0
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # ingestion processes' CPU time during the scenario
    pg_cpu_seconds: float = 0.0  # every postgres process on this machine, same interval
    loadgen_cpu_seconds: float = 0.0  # this process (the load generator)
    error_statuses: dict[int, int] = field(default_factory=dict)
    backlog: int = -1  # alerts still to attach when the scenario ended
    drain_seconds: float = 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    @property
    def rate(self) -> float:
        return self.alerts / self.seconds if self.seconds else 0.0

    def per_alert_ms(self, seconds: float) -> float:
        return seconds / self.alerts * 1000 if self.alerts else 0.0

    @property
    def cpu_ms_per_alert(self) -> float:
        return self.per_alert_ms(self.cpu_seconds)


def postgres_cpu_seconds() -> float:
    """User+system CPU of every PostgreSQL process here (backends, WAL writer, checkpointer...)."""
    total = 0.0
    for process in psutil.process_iter(["name"]):
        if (process.info["name"] or "").startswith("postgres"):
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
    return total


def own_cpu_seconds() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def cpu_seconds(pid: int) -> float:
    """User+system CPU of the uvicorn supervisor and its workers (robust to a busy machine)."""
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes) -> int:
    writer.write(
        b"POST /api/v1/alerts HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return int(head[9:12])


async def drive(
    name: str,
    port: int,
    *,
    requests: int,
    connections: int,
    body_for: Callable[[int], bytes],
    per_request: int,
    server_pid: int,
    max_seconds: float,
) -> Result:
    result = Result(name)
    cpu_before = cpu_seconds(server_pid)
    pg_before, own_before = postgres_cpu_seconds(), own_cpu_seconds()
    counter = iter(range(requests))
    deadline = time.monotonic() + max_seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in counter:
                if time.monotonic() > deadline:
                    return
                body = body_for(i)
                started = time.perf_counter()
                status = await _post(reader, writer, body)
                result.latencies.append(time.perf_counter() - started)
                result.requests += 1
                if status in (201, 202):
                    result.alerts += per_request
                else:
                    result.errors += 1
                    result.error_statuses[status] = result.error_statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = cpu_seconds(server_pid) - cpu_before
    result.pg_cpu_seconds = postgres_cpu_seconds() - pg_before
    result.loadgen_cpu_seconds = own_cpu_seconds() - own_before
    return result
