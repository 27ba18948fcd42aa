"""SharedReads: identical reads in flight at once are computed once, and only while in flight."""

from __future__ import annotations

import asyncio

import pytest
from nightwatch_core.shared_reads import SharedReads


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def compute(self) -> int:
        self.calls += 1
        await self.release.wait()
        return self.calls


async def test_concurrent_identical_reads_share_one_computation() -> None:
    shared, counter = SharedReads(), Counter()
    readers = [asyncio.create_task(shared.read("k", counter.compute)) for _ in range(10)]
    other = asyncio.create_task(shared.read("other", counter.compute))
    await asyncio.sleep(0)
    counter.release.set()
    answers = await asyncio.gather(*readers)
    await other
    assert len(set(answers)) == 1 and len(answers) == 10
    assert counter.calls == 2  # one per key


async def test_a_read_after_the_last_one_finished_computes_afresh() -> None:
    shared, counter = SharedReads(), Counter()
    counter.release.set()
    assert await shared.read("k", counter.compute) == 1
    assert await shared.read("k", counter.compute) == 2


async def test_the_exception_is_shared_and_a_departing_caller_cancels_nothing() -> None:
    shared = SharedReads()
    release = asyncio.Event()
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        raise ValueError("database down")

    leaving = asyncio.create_task(shared.read("k", failing))
    staying = asyncio.create_task(shared.read("k", failing))
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    with pytest.raises(ValueError, match="database down"):
        await staying
    assert calls == 1 and leaving.cancelled()


async def test_forget_stops_sharing_reads_begun_before() -> None:
    shared, counter = SharedReads(), Counter()
    before = asyncio.create_task(shared.read("k", counter.compute))
    await asyncio.sleep(0)
    shared.forget()
    after = asyncio.create_task(shared.read("k", counter.compute))
    await asyncio.sleep(0)
    counter.release.set()
    await asyncio.gather(before, after)
    assert counter.calls == 2
