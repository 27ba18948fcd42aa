"""``PollingWorker``: the loop shared by every database-polling background worker.

A subclass implements ``run_due(app) -> claimed``. ``worker`` runs it for the app's whole life: again
at once while full batches come back, at once when ``wake()`` is called (e.g. after committing new
work), otherwise every ``poll_interval`` seconds. A failing batch (the database may be down) is
logged and retried after the pause; the work stays in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI

log = logging.getLogger("nightwatch.polling")


class PollingWorker:
    def __init__(self, *, batch_size: int, poll_interval: float) -> None:
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Run the worker now instead of at its next poll (call after committing new work)."""
        self._wake.set()

    async def run_due(self, app: FastAPI) -> int:
        """Run one batch of due work; return how many items were claimed."""
        raise NotImplementedError

    async def worker(self, app: FastAPI) -> None:
        """Run for the app's whole life (pass to ``create_service_app(workers=[...])``)."""
        while True:
            # Cleared before the batch, not after it: a wake() during the batch is not lost.
            self._wake.clear()
            try:
                claimed = await self.run_due(app)
            except Exception:
                log.exception("%s could not run a batch", type(self).__name__)
                claimed = 0
            if claimed >= self.batch_size:
                continue  # more may be due right away
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
