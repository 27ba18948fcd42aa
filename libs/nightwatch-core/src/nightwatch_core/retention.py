"""Retention: rows past their age are removed in bounded batches by a durable, restartable job.

Each service names what it keeps and for how long as :class:`RetentionTask` s; one
:class:`RetentionWorker` per service runs them every ``retention_interval_seconds``. A pass walks a
table from its oldest row up to the cutoff in keyset order, one short transaction per batch of at
most ``retention_batch_size`` rows and a pause between batches, so ingest and lists keep their
latency while a large backlog drains (docs/operations.md "Retention" has the measurement).

Nothing is lost to a crash: a pass holds no state but the position it has reached, and a pass
interrupted anywhere simply starts again from the oldest row. Replicas may run passes at the same
time: each batch claims its rows with ``FOR UPDATE SKIP LOCKED``, so two never delete the same rows
and never wait on each other. A row the product still references (an open incident's alert, a
notification still being delivered) is skipped by the task's own SQL, never deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from prometheus_client import Counter, Gauge

from nightwatch_core.polling import PollingWorker
from nightwatch_core.settings import ServiceSettings

log = logging.getLogger("nightwatch.retention")

RETENTION_DELETED = Counter(
    "retention_deleted_total", "Rows removed by retention because they passed their age", ["table"]
)
RETENTION_LAST_PASS = Gauge(
    "retention_last_pass_timestamp_seconds",
    "When retention last finished a pass over a table (Unix time)",
    ["table"],
)


@dataclass(frozen=True)
class Batch:
    """What one batch did: rows looked at, rows removed, and where the next batch starts."""

    scanned: int
    deleted: int
    next_after: Any


# (app, cutoff, after, limit) -> Batch. ``after`` is None on the first batch of a pass, then the
# batch's own ``next_after`` (a keyset position), so rows the task keeps are not scanned again.
DeleteBatch = Callable[[FastAPI, datetime, Any, int], Awaitable[Batch]]


@dataclass(frozen=True)
class RetentionTask:
    table: str  # the metric label, e.g. "ingestion.alerts"
    max_age: timedelta
    delete_batch: DeleteBatch


class RetentionWorker(PollingWorker):
    """Runs every task's pass every ``interval`` seconds (``worker`` is the app's worker)."""

    def __init__(
        self,
        tasks: Sequence[RetentionTask],
        *,
        batch_size: int,
        interval: float,
        pause: float,
    ) -> None:
        super().__init__(batch_size=batch_size, poll_interval=interval)
        self.tasks = tuple(tasks)
        self.pause = pause

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, tasks: Sequence[RetentionTask]
    ) -> RetentionWorker:
        return cls(
            tasks,
            batch_size=settings.retention_batch_size,
            interval=settings.retention_interval_seconds,
            pause=settings.retention_pause_seconds,
        )

    async def run_due(self, app: FastAPI) -> int:
        for task in self.tasks:
            await self.run_pass(app, task)
        return 0  # a pass goes to the end by itself: the next one is an interval away

    async def run_pass(self, app: FastAPI, task: RetentionTask) -> int:
        """Remove every row of ``task`` past its age; return how many were removed."""
        cutoff = app.state.clock.now() - task.max_age
        after: Any = None
        removed = 0
        while True:
            batch = await task.delete_batch(app, cutoff, after, self.batch_size)
            removed += batch.deleted
            RETENTION_DELETED.labels(task.table).inc(batch.deleted)
            if batch.scanned < self.batch_size:
                break
            after = batch.next_after
            await asyncio.sleep(self.pause)  # let the hot path have the database between batches
        RETENTION_LAST_PASS.labels(task.table).set(app.state.clock.now().timestamp())
        if removed:
            log.info(
                "retention removed %d rows from %s (older than %s)", removed, task.table, cutoff
            )
        return removed
