"""PollingWorker: woken work runs at once, a wake during a batch is not lost, failures retried."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from nightwatch_core.polling import PollingWorker


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
