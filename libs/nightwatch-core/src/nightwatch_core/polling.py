"""``PollingWorker``: the one loop of every background worker that takes its work from PostgreSQL.

A subclass implements ``run_due(app) -> claimed``. ``worker`` runs it for the app's whole life: again
at once while full batches come back, at once when ``wake()`` is called (e.g. after committing new
work), otherwise every ``poll_interval`` seconds. The work itself stays in PostgreSQL, so a batch
that fails (the database or a neighbour is down) loses nothing; what the loop does next:

- without ``retry``: it waits as after an empty batch (a wake-up or the poll), then tries again;
- with ``retry`` (a :class:`~nightwatch_core.backoff.Backoff`): it sleeps ``retry.seconds(n)`` after
  the n-th failure in a row and does not heed wake-ups meanwhile (they would only hammer a
  neighbour that is down). ``failures`` tells ``run_due`` how many batches failed in a row.

``run_due`` raises :class:`RetryLater` for an expected outage (logged as one line, no traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from fastapi import FastAPI

from nightwatch_core.backoff import Backoff

log = logging.getLogger("nightwatch.polling")

# Expected while PostgreSQL is down or restarting (DatabaseUnreachable is an OSError).
_OUTAGES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class RetryLater(Exception):
    """The batch could not be done now (a neighbour is unreachable): back off, quietly."""


class PollingWorker:
    def __init__(
        self,
        *,
        batch_size: int,
        poll_interval: float,
        retry: Backoff | None = None,
        start_idle: bool = False,
    ) -> None:
        """``start_idle``: wait for a wake-up or the poll before the first batch."""
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.retry = retry
        self.start_idle = start_idle
        self.failures = 0  # batches failed in a row
        self.idle = False  # waiting for a wake-up or the poll
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Run the worker now instead of at its next poll (call after committing new work)."""
        self._wake.set()

    async def run_due(self, app: FastAPI) -> int:
        """Run one batch of due work; return how many items were claimed."""
        raise NotImplementedError

    async def worker(self, app: FastAPI) -> None:
        """Run for the app's whole life (pass to ``create_service_app(workers=[...])``)."""
        if self.start_idle:
            await self._wait_for_work()
        while True:
            # Cleared before the batch, not after it: a wake() during the batch is not lost.
            self._wake.clear()
            try:
                claimed = await self.run_due(app)
            except Exception as exc:
                self.failures += 1
                self._log_failure(exc)
                if self.retry is not None:
                    await asyncio.sleep(self.retry.seconds(self.failures))
                    continue
                claimed = 0
            else:
                self.failures = 0
            if claimed >= self.batch_size:
                continue  # more may be due right away
            await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        self.idle = True
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
        finally:
            self.idle = False

    def _log_failure(self, exc: Exception) -> None:
        name = type(self).__name__
        if isinstance(exc, (RetryLater, *_OUTAGES)):
            log.warning("%s could not run a batch: %s: %s", name, type(exc).__name__, exc)
        else:
            log.exception("%s could not run a batch", name)
