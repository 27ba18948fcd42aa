"""PollingWorker: woken work runs at once, a wake during a batch is not lost, failures retried
(on a wake-up, or by the one backoff policy)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import pytest
from nightwatch_core.backoff import Backoff
from nightwatch_core.polling import PollingWorker, RetryLater


class ScriptedWorker(PollingWorker):
    """Each run returns the next scripted claim count (or raises it); the poll is one minute."""

    def __init__(self, script: list[int | Exception], *, wake_on_first: bool = False) -> None:
        super().__init__(batch_size=5, poll_interval=60.0)
        self.script = script
        self.wake_on_first = wake_on_first
        self.runs = 0
        self.done = asyncio.Event()

    async def run_due(self, app: Any) -> int:
        self.runs += 1
        if self.runs == 1 and self.wake_on_first:
            self.wake()  # new work committed while this batch was running
        if not self.script:
            self.done.set()
            return 0
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


async def _run_until_done(worker: ScriptedWorker) -> None:
    task = asyncio.create_task(worker.worker(app=None))  # type: ignore[arg-type]
    try:
        # The poll is 60 s: finishing within the bound proves no poll pause was taken.
        await asyncio.wait_for(worker.done.wait(), timeout=10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_wake_during_a_batch_is_not_lost() -> None:
    worker = ScriptedWorker([0], wake_on_first=True)
    await _run_until_done(worker)
    assert worker.runs == 2


async def test_full_batches_run_again_at_once() -> None:
    worker = ScriptedWorker([5, 5, 5])
    await _run_until_done(worker)
    assert worker.runs == 4


async def test_a_failing_batch_does_not_stop_the_worker() -> None:
    worker = ScriptedWorker([RuntimeError("database down")], wake_on_first=True)
    await _run_until_done(worker)
    assert worker.runs == 2


class OutageWorker(PollingWorker):
    """Fails with RetryLater ``outage`` times, then finds nothing; records ``failures`` per run."""

    def __init__(self, outage: int) -> None:
        super().__init__(batch_size=5, poll_interval=60.0, retry=Backoff(0.0))
        self.outage = outage
        self.seen_failures: list[int] = []
        self.done = asyncio.Event()

    async def run_due(self, app: Any) -> int:
        self.seen_failures.append(self.failures)
        if len(self.seen_failures) <= self.outage:
            raise RetryLater("neighbour down")
        self.done.set()
        return 0


async def test_with_a_retry_policy_failures_are_counted_and_retried_without_a_wake() -> None:
    worker = OutageWorker(outage=3)
    task = asyncio.create_task(worker.worker(app=None))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(worker.done.wait(), timeout=10)  # the poll is 60 s
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert worker.seen_failures == [0, 1, 2, 3]
    assert worker.failures == 0


def test_one_backoff_policy_doubles_from_base_up_to_the_cap() -> None:
    policy = Backoff(2.0, 30.0)
    assert [policy.seconds(n) for n in (1, 2, 3, 4, 5, 6)] == [2, 4, 8, 16, 30, 30]
    assert policy.delay(3) == timedelta(seconds=8)
    assert Backoff(0.5).seconds(10_000) > 0  # no overflow for absurd attempt counts
    with pytest.raises(ValueError, match="base >= 0"):
        Backoff(-1.0)
