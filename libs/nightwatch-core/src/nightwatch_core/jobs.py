"""Durable jobs: work that must survive a crash or a neighbour's outage.

A job is written to the service's own ``<schema>.jobs`` table in the same transaction as the change
that causes it (the outbox pattern), then done by a worker. Workers claim due rows with
``SELECT … FOR UPDATE SKIP LOCKED``, so N replicas never run one job twice at the same time; a
failure reschedules it with capped exponential backoff; nothing is silently dropped — after
``max_attempts`` (if set) the row stays, marked dead, for an operator to see.

    queue = JobQueue("incidents", {"start_escalation": start_escalation})
    await enqueue(session, schema="incidents", kind="start_escalation", payload={...},
                  dedup_key=f"escalate:{incident.id}")
    create_service_app(..., workers=[queue.worker])

A handler is ``async def handler(*, app, session, payload) -> None``; it runs inside a savepoint of
the claiming transaction, so its own writes commit atomically with the job's removal. Raise to
retry later; raise :class:`PermanentJobError` to give up at once (the job is kept as dead).

A *batch handler* (``batch_handlers=``) gets every claimed job of its kind at once:
``async def handler(*, app, session, payloads) -> list[Exception | None] | None``, so N jobs that
each call a neighbour cost one call, not N. It returns one outcome per payload (``None`` = done)
and must not have written anything for a payload it fails; raising fails the whole batch.
``enqueue_many`` writes many jobs with one statement.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from fastapi import FastAPI
from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_core.backoff import Backoff
from nightwatch_core.polling import PollingWorker

log = logging.getLogger("nightwatch.jobs")

JOBS_PROCESSED = Counter(
    "jobs_processed_total",
    "Durable jobs run by a worker, by outcome (done, retry, dead)",
    ["schema", "kind", "outcome"],
)

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class JobHandler(Protocol):
    def __call__(
        self, *, app: FastAPI, session: AsyncSession, payload: dict[str, Any]
    ) -> Awaitable[None]: ...


class BatchJobHandler(Protocol):
    def __call__(
        self, *, app: FastAPI, session: AsyncSession, payloads: list[dict[str, Any]]
    ) -> Awaitable[Sequence[Exception | None] | None]: ...


@dataclass(frozen=True)
class NewJob:
    kind: str
    payload: dict[str, Any]
    run_at: datetime | None = None
    dedup_key: str | None = None


class PermanentJobError(Exception):
    """The job can never succeed (e.g. the target says 404/422): keep it as dead, stop retrying."""


def _checked_schema(schema: str) -> str:
    if not _IDENTIFIER.match(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    return schema


async def enqueue(
    session: AsyncSession,
    *,
    schema: str,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime | None = None,
    dedup_key: str | None = None,
) -> bool:
    """Add a job in the caller's transaction; False when ``dedup_key`` is already queued."""
    job = NewJob(kind=kind, payload=payload, run_at=run_at, dedup_key=dedup_key)
    return await enqueue_many(session, schema=schema, jobs=[job]) == 1


async def enqueue_many(session: AsyncSession, *, schema: str, jobs: Sequence[NewJob]) -> int:
    """Add many jobs with one statement (same rules as ``enqueue``); return how many were new."""
    if not jobs:
        return 0
    table = f"{_checked_schema(schema)}.jobs"
    result = await session.execute(
        text(
            f"INSERT INTO {table} (kind, payload, run_at, dedup_key) "  # noqa: S608 - checked name
            "SELECT k, CAST(p AS jsonb), coalesce(r, now()), d FROM unnest("
            "CAST(:kinds AS text[]), CAST(:payloads AS text[]), CAST(:run_ats AS timestamptz[]), "
            "CAST(:keys AS text[])) AS t(k, p, r, d) "
            "ON CONFLICT (dedup_key) DO NOTHING"
        ),
        {
            "kinds": [job.kind for job in jobs],
            "payloads": [orjson.dumps(job.payload).decode() for job in jobs],
            "run_ats": [job.run_at for job in jobs],
            "keys": [job.dedup_key for job in jobs],
        },
    )
    return int(getattr(result, "rowcount", 0) or 0)


class JobQueue(PollingWorker):
    def __init__(
        self,
        schema: str,
        handlers: dict[str, JobHandler],
        *,
        batch_size: int = 20,
        poll_interval: float = 0.2,
        base_backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_attempts: int | None = None,
        kinds: Collection[str] | None = None,
        batch_handlers: dict[str, BatchJobHandler] | None = None,
    ) -> None:
        """``kinds``: claim only jobs of these kinds (default: every kind in the table, and a kind
        without a handler is kept dead). Two queues with disjoint kinds share one table, so slow
        or less urgent work cannot delay urgent work queued behind it. ``batch_handlers``: kinds
        whose claimed jobs are handed over together (see the module docstring)."""
        super().__init__(batch_size=batch_size, poll_interval=poll_interval)
        self.schema = _checked_schema(schema)
        self.table = f"{self.schema}.jobs"
        self.handlers = handlers
        self.batch_handlers = batch_handlers or {}
        self.backoff = Backoff(base_backoff, max_backoff)
        self.max_attempts = max_attempts
        self.kinds = sorted(kinds) if kinds is not None else None

    async def run_due(self, app: FastAPI) -> int:
        """Claim and run one batch of due jobs; return how many were claimed."""
        now: datetime = app.state.clock.now()
        only_kinds = "" if self.kinds is None else "AND kind = ANY(:kinds) "
        async with app.state.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    text(
                        f"SELECT id, kind, payload, attempts FROM {self.table} "  # noqa: S608
                        f"WHERE dead_at IS NULL AND run_at <= :now {only_kinds}"
                        "ORDER BY run_at, id LIMIT :limit FOR UPDATE SKIP LOCKED"
                    ),
                    {"now": now, "limit": self.batch_size}
                    | ({} if self.kinds is None else {"kinds": self.kinds}),
                )
            ).all()
            batches: dict[str, list[Any]] = {}
            for row in rows:
                if row.kind in self.batch_handlers:
                    batches.setdefault(row.kind, []).append(row)
            # In claim order; a batch runs where its first job was claimed.
            for row in rows:
                if row.kind not in self.batch_handlers:
                    await self._run_one(app, session, row, now)
                elif batch := batches.pop(row.kind, None):
                    await self._run_batch(app, session, row.kind, batch, now)
        return len(rows)

    async def _run_one(self, app: FastAPI, session: AsyncSession, row: Any, now: datetime) -> None:
        handler = self.handlers.get(row.kind)
        try:
            if handler is None:
                raise PermanentJobError(f"no handler for job kind {row.kind!r}")
            async with session.begin_nested():
                await handler(app=app, session=session, payload=row.payload)
        except Exception as exc:
            await self._record_failure(session, row, exc, now)
        else:
            await self._delete(session, [row])

    async def _run_batch(
        self, app: FastAPI, session: AsyncSession, kind: str, rows: list[Any], now: datetime
    ) -> None:
        outcomes: Sequence[Exception | None]
        try:
            async with session.begin_nested():
                returned = await self.batch_handlers[kind](
                    app=app, session=session, payloads=[row.payload for row in rows]
                )
            outcomes = [None] * len(rows) if returned is None else returned
            if len(outcomes) != len(rows):
                raise RuntimeError(f"batch handler gave {len(outcomes)} outcomes for {len(rows)}")
        except Exception as exc:
            # Nothing of the batch was written (savepoint rolled back): every job is retried.
            outcomes = [exc] * len(rows)
        await self._delete(
            session, [row for row, outcome in zip(rows, outcomes, strict=True) if outcome is None]
        )
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome is not None:
                await self._record_failure(session, row, outcome, now)

    async def _delete(self, session: AsyncSession, rows: list[Any]) -> None:
        if not rows:
            return
        await session.execute(
            text(f"DELETE FROM {self.table} WHERE id = ANY(:ids)"),  # noqa: S608
            {"ids": [row.id for row in rows]},
        )
        JOBS_PROCESSED.labels(self.schema, rows[0].kind, "done").inc(len(rows))

    async def _record_failure(
        self, session: AsyncSession, row: Any, exc: Exception, now: datetime
    ) -> None:
        attempts = row.attempts + 1
        dead = isinstance(exc, PermanentJobError) or (
            self.max_attempts is not None and attempts >= self.max_attempts
        )
        await session.execute(
            text(
                f"UPDATE {self.table} SET attempts = :attempts, last_error = :error, "  # noqa: S608
                "run_at = :run_at, dead_at = :dead_at WHERE id = :id"
            ),
            {
                "id": row.id,
                "attempts": attempts,
                "error": f"{type(exc).__name__}: {exc}"[:2000],
                "run_at": now + self.backoff.delay(attempts),
                "dead_at": now if dead else None,
            },
        )
        outcome = "dead" if dead else "retry"
        log.warning(
            "job failed",
            extra={
                "job_kind": row.kind,
                "job_id": row.id,
                "attempts": attempts,
                "outcome": outcome,
                "error": str(exc)[:300],
            },
        )
        JOBS_PROCESSED.labels(self.schema, row.kind, outcome).inc()
