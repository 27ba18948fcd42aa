"""uvicorn's httptools protocol, with what one event-loop turn writes sent as one ``write``.

uvicorn writes a response's status line and headers as soon as the app sends
``http.response.start`` and the body on ``http.response.body``: two system calls and two TCP
segments (and two wake-ups of the client) for every small JSON answer. Profiling alert ingestion
under load put ~20% of its CPU in those two writes. The transport wrapper below collects the
writes made during one turn of the event loop and hands them over together at the end of it, so
a small response leaves in one piece; nothing is held longer than that turn.

Used by every service: ``uvicorn --http nightwatch_core.http_protocol:HttpToolsProtocol``
(through nightwatch_core/serve.py: the images, `make up`, the benchmarks).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _UvicornHttpTools


class TurnBufferedTransport:
    """Delegates to ``transport``; writes made in one loop turn go out as one write."""

    __slots__ = ("_buffer", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._buffer: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._buffer:
            self._loop.call_soon(self.flush)
        self._buffer.append(data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if not self._buffer:
            return
        data = b"".join(self._buffer)
        self._buffer.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpToolsProtocol(_UvicornHttpTools):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport is not an asyncio.Transport subclass: no isinstance check here.
        buffered = TurnBufferedTransport(transport, self.loop)  # type: ignore[arg-type]
        super().connection_made(buffered)  # type: ignore[arg-type]
