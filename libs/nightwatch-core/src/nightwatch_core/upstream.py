"""A lean keep-alive HTTP/1.1 client for one upstream: small requests, small buffered answers.

Profiling the gateway's public alert path put about a third of its CPU in httpx/httpcore (request
and response objects, header normalisation, the pool's bookkeeping, anyio streams) for a request
whose answer is 200 bytes. This client writes the request head and body in one ``write`` on an
``asyncio.Protocol`` and parses the answer with httptools (what uvicorn's server side uses):
nothing is built per request but the bytes and one future.

Scope, deliberately narrow: answers are read whole (at most ``max_response_bytes``, else
``UpstreamBroken``), no redirects, no cookies, no retries of a request that may have been
processed. Only a request on a pooled connection the server closed before answering a single
byte is sent again, once, and only when ``retry_if_unanswered`` (safe methods).
Failures are typed so the caller can answer 503 (``UpstreamUnavailable``), 504
(``UpstreamTimeout``) or 502 (``UpstreamBroken``).
"""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass

import httptools


class UpstreamError(Exception):
    """The upstream could not be reached or did not answer properly."""


class UpstreamUnavailable(UpstreamError):
    """No connection could be opened (refused, unreachable, connect timeout)."""


class UpstreamTimeout(UpstreamError):
    """Connected, but no whole answer within the timeout."""


class UpstreamBroken(UpstreamError):
    """The connection broke off, or the answer was malformed or too large."""


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: list[tuple[bytes, bytes]]  # names lower-cased, in the order received
    body: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self, max_response_bytes: int) -> None:
        self._max = max_response_bytes
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[UpstreamResponse] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._size = 0
        self._received_any = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(UpstreamBroken("the upstream closed the connection before answering"))

    def data_received(self, data: bytes) -> None:
        self._received_any = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamBroken(f"malformed answer: {exc}"))
            self.close()

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._max:
            self._fail(UpstreamBroken(f"answer larger than {self._max} bytes"))
            self.close()
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            status = self._parser.get_status_code()
            waiter.set_result(UpstreamResponse(status, self._headers, b"".join(self._body)))
        if not self._parser.should_keep_alive():
            self.close()

    # the pool's side
    def send(self, data: bytes) -> asyncio.Future[UpstreamResponse]:
        assert self.transport is not None and self._waiter is None
        self._headers, self._body, self._size, self._received_any = [], [], 0, False
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self._waiter

    @property
    def answered_nothing(self) -> bool:
        return not self._received_any

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, error: UpstreamError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


class UpstreamPool:
    """Connections to ``host:port``: at most ``max_connections`` open, idle ones reused (newest
    first) while younger than ``keepalive_seconds`` (keep it below the server's own idle timeout,
    uvicorn's is 5 s, so a connection is not reused just as the server closes it)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        max_connections: int,
        keepalive_seconds: float,
        connect_timeout: float,
        max_response_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.host = host
        self.port = port
        self._keepalive = keepalive_seconds
        self._connect_timeout = connect_timeout
        self._max_response = max_response_bytes
        self._idle: collections.deque[_Connection] = collections.deque()
        self._slots = asyncio.Semaphore(max_connections)
        self._open: set[_Connection] = set()

    async def request(
        self, data: bytes, *, answer_within: float, retry_if_unanswered: bool = False
    ) -> UpstreamResponse:
        """Send ``data`` (a whole HTTP/1.1 request: head and body) and return the answer.
        Waiting for a free connection counts against ``answer_within`` too."""
        try:
            async with asyncio.timeout(answer_within):
                await self._slots.acquire()
        except TimeoutError:
            raise UpstreamTimeout(f"no free connection within {answer_within:g} s") from None
        try:
            connection, reused = await self._take()
            try:
                return await self._exchange(connection, data, answer_within)
            except UpstreamBroken:
                if not (reused and retry_if_unanswered and connection.answered_nothing):
                    raise
            connection, _ = await self._take(fresh=True)
            return await self._exchange(connection, data, answer_within)
        finally:
            self._slots.release()

    async def _exchange(
        self, connection: _Connection, data: bytes, answer_within: float
    ) -> UpstreamResponse:
        try:
            async with asyncio.timeout(answer_within):
                response = await connection.send(data)
        except TimeoutError:
            connection.close()
            self._open.discard(connection)
            raise UpstreamTimeout(f"no answer within {answer_within:g} s") from None
        except UpstreamError:
            connection.close()
            self._open.discard(connection)
            raise
        except BaseException:  # cancelled mid-request: the connection's state is unknown
            connection.close()
            self._open.discard(connection)
            raise
        if connection.closed:
            self._open.discard(connection)
        else:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        return response

    async def _take(self, *, fresh: bool = False) -> tuple[_Connection, bool]:
        now = time.monotonic()
        while self._idle and not fresh:
            connection = self._idle.pop()
            if not connection.closed and now - connection.idle_since < self._keepalive:
                return connection, True
            connection.close()
            self._open.discard(connection)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, protocol = await loop.create_connection(
                    lambda: _Connection(self._max_response), self.host, self.port
                )
        except (OSError, TimeoutError) as exc:
            raise UpstreamUnavailable(
                f"cannot connect to {self.host}:{self.port}: {exc!r}"
            ) from exc
        self._open.add(protocol)
        return protocol, False

    async def aclose(self) -> None:
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()


def request_bytes(
    method: str, target: bytes, *, host: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    """An HTTP/1.1 request with ``content-length`` set for ``body`` (give none in ``headers``)."""
    lines = [method.encode(), b" ", target, b" HTTP/1.1\r\nhost: ", host, b"\r\n"]
    for name, value in headers:
        if b"\r" in value or b"\n" in value:  # header injection: never pass it on
            raise ValueError(f"header {name!r} has a line break in its value")
        lines += (name, b": ", value, b"\r\n")
    lines += (b"content-length: ", str(len(body)).encode(), b"\r\n\r\n", body)
    return b"".join(lines)
