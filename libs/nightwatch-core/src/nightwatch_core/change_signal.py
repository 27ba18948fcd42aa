"""Telling every process that rows changed: PostgreSQL ``NOTIFY`` on one channel, sent *after*
the change committed, in a transaction of its own, coalesced.

Why not a ``NOTIFY`` (or a trigger calling ``pg_notify``) inside the writing transaction: at
commit PostgreSQL serializes every transaction that notifies on one global lock, held until its
commit record is flushed, so the alert path's concurrent commits would queue behind each other
(``make bench-notify-cost`` measured that design at ~40 % fewer write transactions a second).
Here the writes commit as before, and ``signal()`` (no I/O, never raises) makes a background task
send one ``NOTIFY`` with ``synchronous_commit`` off (a lost signal in a crash is harmless: a
reconnecting listener resyncs). Signals that arrive while one is being sent are folded into the
next, sent at most every ``min_gap`` seconds: a storm costs a few notifications a second.

``SignalWrites`` signals after every successful (2xx) write request of an app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CHANNEL = "nightwatch_changes"
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

log = logging.getLogger("nightwatch.change_signal")


class ChangeSignal:
    def __init__(self, kind: str, *, min_gap: float = 0.01) -> None:
        self.kind = kind
        self.sent = 0
        self._statement = (
            "BEGIN; SET LOCAL synchronous_commit = off; "
            f"SELECT pg_notify('{CHANNEL}', '{kind}'); COMMIT;"
        )
        self._min_gap = min_gap
        self._pool: Any = None
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def bind(self, pool: Any) -> None:
        """The (asyncpg) pool to send on; nothing is sent before."""
        self._pool = pool

    def signal(self) -> None:
        if self._pool is None:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._send_until_quiet())

    async def _send_until_quiet(self) -> None:
        while True:
            self._again = False
            try:
                async with self._pool.acquire() as conn:
                    await conn.execute(self._statement)
                self.sent += 1
            except Exception as exc:  # a lost signal only delays the consoles' refresh
                log.warning("change signal not sent: %s", exc, extra={"kind": self.kind})
            await asyncio.sleep(self._min_gap)
            if not self._again:
                return

    async def flushed(self) -> None:
        """Wait until what was signalled so far has been sent (tests, shutdown)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class SignalWrites:
    """ASGI middleware: ``signal.signal()`` once a write request was answered 2xx (its
    transaction committed before the answer)."""

    def __init__(self, app: ASGIApp, *, signal: ChangeSignal) -> None:
        self.app = app
        self.signal = signal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if 200 <= status < 300:
            self.signal.signal()
