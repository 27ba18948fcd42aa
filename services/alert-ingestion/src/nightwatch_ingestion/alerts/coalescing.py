"""Concurrent single-alert POSTs share one statement and one commit.

Each single alert's request waits on a future while one of at most ``max_inflight`` flushers runs
the one-statement hot path (fast_path.py) for everything waiting at that moment. Nothing waits
on a timer: an alert arriving at an idle service is flushed at once, alone; under load the alerts
that arrive while a flush is in flight form the next one. One commit (one WAL flush) then serves
many requests, and PostgreSQL parses, plans and commits once per flush instead of once per alert.

An alert is answered only after the statement that stored it committed, exactly as without
coalescing: nothing is acknowledged that is not durable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import asyncpg
from nightwatch_core.errors import DatabaseUnavailable

from nightwatch_ingestion.alerts import fast_path
from nightwatch_ingestion.alerts.fast_path import Joined, JoinRequest
from nightwatch_ingestion.metrics import HOT_PATH_BATCH

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock: redo
_UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)

Waiter = tuple[JoinRequest, "asyncio.Future[Joined | None]"]


class JoinCoalescer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        now: Callable[[], datetime],
        window: timedelta,
        acquire_timeout: float,
        max_batch: int = 500,
        max_inflight: int = 2,
    ) -> None:
        self._pool = pool
        self._now = now
        self._window = window
        self._acquire_timeout = acquire_timeout
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._waiting: list[Waiter] = []
        self._inflight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def join(self, request: JoinRequest) -> Joined | None:
        """Store the alert in its fresh open group; None (nothing written) when it has none."""
        future: asyncio.Future[Joined | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        if self._inflight < self._max_inflight:
            self._inflight += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                try:
                    await self._flush(batch)
                except BaseException as exc:  # never leave a request waiting forever
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
        finally:
            self._inflight -= 1

    async def _flush(self, batch: list[Waiter]) -> None:
        HOT_PATH_BATCH.observe(len(batch))
        try:
            async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
                joined = await fast_path.join_open_groups(
                    conn,
                    alerts=[request for request, _ in batch],
                    now=self._now(),
                    window=self._window,
                )
        except _UNAVAILABLE:
            raise DatabaseUnavailable() from None
        except asyncpg.PostgresError as exc:
            if exc.sqlstate in RETRYABLE_SQLSTATES:
                joined = {}  # nothing was written: the general path retries each alert
            elif len(batch) > 1:
                # One alert PostgreSQL refuses must not fail the others: each alone.
                for waiter in batch:
                    await self._flush_one(waiter)
                return
            else:
                raise
        for request, future in batch:
            if not future.done():
                future.set_result(joined.get(request.alert_id))

    async def _flush_one(self, waiter: Waiter) -> None:
        try:
            await self._flush([waiter])
        except Exception as exc:
            if not waiter[1].done():
                waiter[1].set_exception(exc)
