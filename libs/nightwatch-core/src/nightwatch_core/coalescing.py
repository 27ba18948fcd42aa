"""Concurrent requests that each need the same call share one call (and one statement).

Each request waits on a future while one of at most ``max_inflight`` flushers hands everything
waiting at that moment (bounded in items and in size) to ``flush``. Nothing waits on a timer: an
item arriving at an idle service is flushed at once, alone; under load the items that arrive while
a flush is in flight form the next one. The cost of a burst then grows with the number of flushes,
not of requests — used by ingestion (alerts → incident-management) and by incident-management
(acknowledges → on-call's escalation stops).

A request is answered only with what its flush returned: a flusher that commits before it returns
acknowledges nothing that is not durable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# The outcome of each item, in the order given; an exception fails that item's request alone.
Flush = Callable[[list[Item]], Awaitable[list[Result | BaseException]]]


class Coalescer(Generic[Item, Result]):
    def __init__(
        self,
        flush: Flush[Item, Result],
        *,
        max_batch: int = 500,
        max_inflight: int = 1,
        size: Callable[[Item], int] = lambda _: 0,
        max_size: int = 0,
        observe_batch: Callable[[int], None] = lambda _: None,
    ) -> None:
        """``size``/``max_size`` bound a batch's bytes too (0: items only); ``observe_batch`` is
        told each batch's length (a histogram of how much was shared)."""
        self._flush = flush
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._size = size
        self._max_size = max_size
        self._observe_batch = observe_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._inflight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: Item) -> Result:
        """Flush the item with whatever else is waiting; its result, or raise its exception."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._inflight < self._max_inflight:
            self._inflight += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    def _take(self) -> list[tuple[Item, asyncio.Future[Result]]]:
        taken, size = 0, 0
        for item, _ in self._waiting:
            item_size = self._size(item)
            if taken and (
                taken >= self._max_batch or (self._max_size and size + item_size > self._max_size)
            ):
                break
            taken += 1
            size += item_size
        batch = self._waiting[:taken]
        del self._waiting[:taken]
        return batch

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._take()
                self._observe_batch(len(batch))
                try:
                    outcomes = await self._flush([item for item, _ in batch])
                except BaseException as exc:  # never leave a request waiting forever
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                if len(outcomes) != len(batch):  # a bug in the flusher: fail loudly, not hang
                    mismatch = RuntimeError(f"flush answered {len(outcomes)} of {len(batch)}")
                    outcomes = [mismatch] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its request was cancelled (client gone)
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._inflight -= 1
