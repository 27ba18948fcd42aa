"""Concurrent single-alert POSTs share one call to incident-management and one statement.

Each single alert's request waits on a future while one of at most ``max_inflight`` flushers
places and stores everything waiting at that moment (bounded in alerts and bytes). Nothing waits
on a timer: an alert arriving at an idle service is flushed at once, alone; under load the alerts
that arrive while a flush is in flight form the next one. One call, one statement and one commit
then serve many requests — the cost of a storm grows with the number of flushes, not of alerts.

An alert is answered only after the statement that stored it committed: nothing is acknowledged
that is not durable.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from nightwatch_ingestion.alerts.placement import MAX_CALL_BYTES, Placed, Prepared
from nightwatch_ingestion.metrics import HOT_PATH_BATCH

Waiter = tuple[Prepared, "asyncio.Future[Placed | None]"]
# Places and stores alerts; the placement of each (None: pending; an exception: not stored).
Flush = Callable[[list[Prepared]], Awaitable[dict[uuid.UUID, Placed | BaseException | None]]]


class PlacementCoalescer:
    def __init__(self, flush: Flush, *, max_batch: int = 500, max_inflight: int = 1) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._waiting: list[Waiter] = []
        self._inflight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, alert: Prepared) -> Placed | None:
        """Store the alert; its incident and result, or None while linking is pending."""
        future: asyncio.Future[Placed | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((alert, future))
        if self._inflight < self._max_inflight:
            self._inflight += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    def _take(self) -> list[Waiter]:
        taken, size = 0, 0
        for alert, _ in self._waiting:
            if taken and (taken >= self._max_batch or size + alert.size > MAX_CALL_BYTES):
                break
            taken += 1
            size += alert.size
        batch = self._waiting[:taken]
        del self._waiting[:taken]
        return batch

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._take()
                HOT_PATH_BATCH.observe(len(batch))
                try:
                    placed = await self._flush([alert for alert, _ in batch])
                except BaseException as exc:  # never leave a request waiting forever
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for alert, future in batch:
                    outcome = placed[alert.alert_id]
                    if future.done():
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._inflight -= 1
