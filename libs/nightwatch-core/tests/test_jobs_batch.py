"""Batch handlers: the due jobs of one kind handed over together, each with its own outcome."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.clock import ManualClock
from nightwatch_core.jobs import JobQueue, NewJob, PermanentJobError, enqueue_many
from nightwatch_core.settings import ServiceSettings
from sqlalchemy import text


@pytest.fixture
async def app(make_settings: Any, app_client: Any):
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    application = create_service_app(
        title="jobs", settings=make_settings(ServiceSettings, service_name="jobs"), clock=clock
    )
    async with app_client(application):
        async with application.state.sessionmaker() as session, session.begin():
            await session.execute(text("DELETE FROM oncall.jobs"))
        yield application


async def _enqueue(app: Any, *jobs: NewJob) -> int:
    due = [replace(job, run_at=job.run_at or app.state.clock.now()) for job in jobs]
    async with app.state.sessionmaker() as session, session.begin():
        return await enqueue_many(session, schema="oncall", jobs=due)


async def _jobs(app: Any) -> list[Any]:
    async with app.state.sessionmaker() as session:
        return (await session.execute(text("SELECT * FROM oncall.jobs ORDER BY id"))).all()


async def test_enqueue_many_writes_each_dedup_key_once(app: Any) -> None:
    first = [NewJob("page", {"n": n}, dedup_key=f"k{n}") for n in range(3)]
    assert await _enqueue(app, *first) == 3
    assert await _enqueue(app, NewJob("page", {"n": 9}, dedup_key="k1"), NewJob("page", {})) == 1
    assert [job.payload for job in await _jobs(app)] == [{"n": 0}, {"n": 1}, {"n": 2}, {}]


async def test_a_batch_handler_gets_every_due_job_of_its_kind_in_one_call(app: Any) -> None:
    calls: list[list[dict[str, Any]]] = []
    singles: list[dict[str, Any]] = []

    async def batch(*, app: Any, session: Any, payloads: list[dict[str, Any]]) -> None:
        calls.append(payloads)

    async def single(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        singles.append(payload)

    await _enqueue(app, *[NewJob("start", {"n": n}) for n in range(5)], NewJob("stop", {"n": 0}))
    queue = JobQueue("oncall", {"stop": single}, batch_handlers={"start": batch})
    assert await queue.run_due(app) == 6
    assert calls == [[{"n": n} for n in range(5)]]
    assert singles == [{"n": 0}]
    assert await _jobs(app) == []


async def test_each_job_of_a_batch_keeps_its_own_outcome(app: Any) -> None:
    async def batch(*, app: Any, session: Any, payloads: list[dict[str, Any]]) -> list[Any]:
        return [
            None,
            RuntimeError("neighbour said 503 for this one"),
            PermanentJobError("neighbour refused this one"),
        ]

    await _enqueue(app, *[NewJob("start", {"n": n}) for n in range(3)])
    queue = JobQueue("oncall", {}, batch_handlers={"start": batch})
    await queue.run_due(app)
    retry, dead = await _jobs(app)
    assert retry.payload == {"n": 1} and retry.attempts == 1 and retry.dead_at is None
    assert dead.payload == {"n": 2} and dead.dead_at is not None


async def test_a_failed_batch_writes_nothing_and_every_job_is_retried(app: Any) -> None:
    async def batch(*, app: Any, session: Any, payloads: list[dict[str, Any]]) -> None:
        await session.execute(
            text("INSERT INTO oncall.jobs (kind, payload) VALUES ('side-effect', '{}')")
        )
        raise ConnectionError("neighbour down")

    await _enqueue(app, *[NewJob("start", {"n": n}) for n in range(2)])
    queue = JobQueue("oncall", {}, batch_handlers={"start": batch}, base_backoff=2)
    await queue.run_due(app)
    jobs = await _jobs(app)
    assert [job.kind for job in jobs] == ["start", "start"]
    assert all(job.attempts == 1 and "neighbour down" in job.last_error for job in jobs)
    assert await queue.run_due(app) == 0  # backing off
