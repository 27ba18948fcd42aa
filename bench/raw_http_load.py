"""The benchmarks' load generator: raw asyncio HTTP/1.1 keep-alive connections (JSON POSTs by
default; any request with ``request_for``).

Much lighter than an HTTP library (asyncio protocols: the next request leaves from the callback
that completed the previous answer), so more of a small machine's cores go to the server under test;
it still runs on those cores and its own CPU per request is reported. Every run is bounded by a
request count and by ``max_seconds``; it only ever connects to loopback.

Optional: extra request headers (an API key through the gateway), another path, and an
``on_answer(status, body, answered_at)`` callback that sees every answer (the stack bench reads
each alert's link status from it). Answers with a content-length or chunked are understood.
A server that closes after its answer (`Connection: close`: the nginx in front of `make up
REPLICAS=N` keeps no connection alive) is connected to again for the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from bench.stack_stats import cpu_seconds, percentile

# status, body, time.perf_counter() when the answer was complete
AnswerCallback = Callable[[int, bytes, float], None]


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
        """Milliseconds."""
        return percentile(self.latencies, q) * 1000

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


class _Connection(asyncio.Protocol):
    """One keep-alive connection: sends the next request from inside data_received as soon as
    the previous answer is complete — no stream reader, no task switch per request."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0.0
        self.closed_by_server = False  # answered with `Connection: close`: connect again
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport
        self._send_next()

    def _send_next(self) -> None:
        assert self.transport is not None
        request = self.run.next_request()
        if request is None:
            self.transport.close()
            return
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        if b"\r\ntransfer-encoding: chunked" in head:
            framed = _chunked_body(self.buffer, end + 4)
            if framed is None:
                return
            body, consumed = framed
        else:
            length = 0
            start = head.find(b"\r\ncontent-length:")
            if start >= 0:
                line_end = head.find(b"\r\n", start + 2)
                length = int(head[start + 17 : line_end if line_end >= 0 else len(head)])
            if len(self.buffer) < end + 4 + length:
                return
            body, consumed = bytes(self.buffer[end + 4 : end + 4 + length]), end + 4 + length
        answered_at = time.perf_counter()
        status = int(head[9:12])
        self.run.record(status, answered_at - self.sent_at)
        if self.run.on_answer is not None:
            self.run.on_answer(status, body, answered_at)
        del self.buffer[:consumed]
        if b"\r\nconnection: close" in head:
            self.closed_by_server = True
            assert self.transport is not None
            self.transport.close()
            return
        self._send_next()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


def _chunked_body(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """(body, bytes consumed) of a complete chunked answer starting at ``start``; None if partial."""
    body = bytearray()
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0], 16)
        chunk_start = line_end + 2
        if size == 0:  # no trailers expected: the last chunk is followed by one empty line
            if len(buffer) < chunk_start + 2:
                return None
            return bytes(body), chunk_start + 2
        if len(buffer) < chunk_start + size + 2:
            return None
        body += buffer[chunk_start : chunk_start + size]
        position = chunk_start + size + 2


def http_request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    """One HTTP/1.1 keep-alive request, ready to write (JSON content type when there is a body)."""
    head = f"{method} {path} HTTP/1.1\r\nhost: bench\r\n"
    if body:
        head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    return head.encode() + b"\r\n" + body


class _Run:
    def __init__(
        self,
        result: Result,
        *,
        requests: int,
        request_for: Callable[[int], bytes],
        per_request: int,
        deadline: float,
        ok_statuses: tuple[int, ...],
        on_answer: AnswerCallback | None,
    ) -> None:
        self.result = result
        self.on_answer = on_answer
        self.counter = iter(range(requests))
        self.requests = requests
        self.handed_out = 0
        self.request_for = request_for
        self.per_request = per_request
        self.deadline = deadline
        self.ok_statuses = ok_statuses

    def next_request(self) -> bytes | None:
        if self.finished():
            return None
        i = next(self.counter, None)
        if i is None:
            return None
        self.handed_out += 1
        return self.request_for(i)

    def finished(self) -> bool:
        return self.handed_out >= self.requests or time.monotonic() > self.deadline

    def record(self, status: int, seconds: float) -> None:
        result = self.result
        result.latencies.append(seconds)
        result.requests += 1
        if status in self.ok_statuses:
            result.alerts += self.per_request
        else:
            result.errors += 1
            result.error_statuses[status] = result.error_statuses.get(status, 0) + 1


async def drive(
    name: str,
    port: int,
    *,
    requests: int,
    connections: int,
    body_for: Callable[[int], bytes] | None = None,
    request_for: Callable[[int], bytes] | None = None,
    per_request: int = 1,
    server_pid: int | None,
    max_seconds: float,
    path: str = "/api/v1/alerts",
    headers: dict[str, str] | None = None,
    on_answer: AnswerCallback | None = None,
    ok_statuses: tuple[int, ...] = (201, 202),
) -> Result:
    """Send ``requests`` requests over ``connections`` keep-alive connections to 127.0.0.1:port:
    ``body_for(i)`` POSTed to ``path`` (with ``headers``), or the whole request ``request_for(i)``.

    ``server_pid``: whose CPU (with its children) to measure; None when the caller measures CPU.
    """
    if request_for is None:
        assert body_for is not None
        make_body = body_for

        def request_for(i: int) -> bytes:
            return http_request("POST", path, make_body(i), headers)

    result = Result(name)
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    pg_before, own_before = postgres_cpu_seconds(), own_cpu_seconds()
    run = _Run(
        result,
        requests=requests,
        request_for=request_for,
        per_request=per_request,
        deadline=time.monotonic() + max_seconds,
        ok_statuses=ok_statuses,
        on_answer=on_answer,
    )
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    opened = [await loop.create_connection(lambda: _Connection(run), "127.0.0.1", port)]
    opened += [
        await loop.create_connection(lambda: _Connection(run), "127.0.0.1", port)
        for _ in range(connections - 1)
    ]

    async def keep_going(slot: int) -> None:
        """Connect again each time the server closed after an answer, until the run is done."""
        while True:
            await opened[slot][1].done
            if not opened[slot][1].closed_by_server or run.finished():
                return
            opened[slot] = await loop.create_connection(lambda: _Connection(run), "127.0.0.1", port)

    try:
        # Bounded in time even if the server stops answering: what is still in flight is an error.
        await asyncio.wait_for(
            asyncio.gather(*(keep_going(slot) for slot in range(len(opened)))),
            timeout=max_seconds + 30,
        )
    except TimeoutError:
        for transport, protocol in opened:
            if not protocol.done.done():
                result.errors += 1
                result.error_statuses[0] = result.error_statuses.get(0, 0) + 1
                transport.abort()
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    result.pg_cpu_seconds = postgres_cpu_seconds() - pg_before
    result.loadgen_cpu_seconds = own_cpu_seconds() - own_before
    return result
