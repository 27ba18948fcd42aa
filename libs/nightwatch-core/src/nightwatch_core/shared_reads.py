"""Identical reads in flight at the same time, computed once.

Ten people with the dashboard open ask for the same statistics at once; a busy API key's cached
verification runs out while fifty of its requests are in flight. Either way the same answer is
computed many times over at the same moment. ``SharedReads.read(key, compute)`` starts
``compute()`` for the first caller of a key and hands every caller that asks while it runs the
same result (or the same exception). Nothing is kept afterwards: a read that starts after the
previous one finished computes afresh, so an answer is never older than the moment its
computation started — the staleness of any read that ran concurrently with a write.

The computation runs in a task of its own and is shielded: a caller that goes away (a client
disconnect) does not cancel it for the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class SharedReads:
    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def read(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(compute())
            self._running[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(running)  # type: ignore[no-any-return]

    def forget(self) -> None:
        """Reads started before now are not shared with later callers (after a write that
        changes their answer)."""
        self._running.clear()

    def _finished(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved: every caller may have gone
