"""Durable jobs: claimed once across workers, retried with backoff, never dropped; batch handlers
get the due jobs of one kind together, each with its own outcome."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.clock import ManualClock
from nightwatch_core.jobs import JobQueue, NewJob, PermanentJobError, enqueue, enqueue_many
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


async def _enqueue(app: Any, kind: str, payload: dict[str, Any], **kwargs: Any) -> bool:
    async with app.state.sessionmaker() as session, session.begin():
        return await enqueue(
            session,
            schema="oncall",
            kind=kind,
            payload=payload,
            run_at=kwargs.pop("run_at", app.state.clock.now()),
            **kwargs,
        )


async def _jobs(app: Any) -> list[Any]:
    async with app.state.sessionmaker() as session:
        return (await session.execute(text("SELECT * FROM oncall.jobs ORDER BY id"))).all()


async def test_a_job_runs_once_and_is_removed(app: Any) -> None:
    seen: list[dict[str, Any]] = []

    async def handler(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        seen.append(payload)

    queue = JobQueue("oncall", {"page": handler})
    await _enqueue(app, "page", {"who": "alice"})
    assert await queue.run_due(app) == 1
    assert await queue.run_due(app) == 0
    assert seen == [{"who": "alice"}]
    assert await _jobs(app) == []


async def test_dedup_key_queues_once(app: Any) -> None:
    assert await _enqueue(app, "page", {}, dedup_key="incident-1") is True
    assert await _enqueue(app, "page", {}, dedup_key="incident-1") is False
    assert len(await _jobs(app)) == 1


async def test_future_jobs_wait_for_the_clock(app: Any) -> None:
    ran: list[int] = []

    async def handler(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        ran.append(1)

    queue = JobQueue("oncall", {"later": handler})
    await _enqueue(app, "later", {}, run_at=app.state.clock.now() + timedelta(minutes=5))
    assert await queue.run_due(app) == 0
    app.state.clock.advance(timedelta(minutes=5))
    assert await queue.run_due(app) == 1 and ran == [1]


async def test_failure_retries_with_backoff_then_succeeds(app: Any) -> None:
    calls = 0

    async def flaky(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError("neighbour down")

    queue = JobQueue("oncall", {"flaky": flaky}, base_backoff=2, max_backoff=3)
    await _enqueue(app, "flaky", {})
    assert await queue.run_due(app) == 1
    [job] = await _jobs(app)
    assert job.attempts == 1 and "neighbour down" in job.last_error
    assert job.run_at == app.state.clock.now() + timedelta(seconds=2)
    assert await queue.run_due(app) == 0  # not due yet
    app.state.clock.advance(2)
    await queue.run_due(app)
    [job] = await _jobs(app)
    assert job.run_at == app.state.clock.now() + timedelta(seconds=3)  # capped
    app.state.clock.advance(3)
    await queue.run_due(app)
    assert calls == 3 and await _jobs(app) == []


async def test_handler_writes_roll_back_with_a_failed_attempt(app: Any) -> None:
    async def half_done(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        await session.execute(
            text("INSERT INTO oncall.jobs (kind, payload) VALUES ('side-effect', '{}')")
        )
        raise RuntimeError("failed after writing")

    queue = JobQueue("oncall", {"half": half_done})
    await _enqueue(app, "half", {})
    await queue.run_due(app)
    assert [job.kind for job in await _jobs(app)] == ["half"]


async def test_permanent_errors_and_unknown_kinds_are_kept_dead(app: Any) -> None:
    async def refuses(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        raise PermanentJobError("404 from target")

    queue = JobQueue("oncall", {"refuses": refuses})
    await _enqueue(app, "refuses", {})
    await _enqueue(app, "nobody-handles-this", {})
    assert await queue.run_due(app) == 2
    jobs = await _jobs(app)
    assert len(jobs) == 2 and all(job.dead_at is not None for job in jobs)
    app.state.clock.advance(timedelta(days=1))
    assert await queue.run_due(app) == 0  # dead jobs are not retried, but kept


async def test_max_attempts_marks_dead(app: Any) -> None:
    async def fails(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        raise RuntimeError("nope")

    queue = JobQueue("oncall", {"fails": fails}, base_backoff=1, max_attempts=2)
    await _enqueue(app, "fails", {})
    await queue.run_due(app)
    app.state.clock.advance(10)
    await queue.run_due(app)
    [job] = await _jobs(app)
    assert job.attempts == 2 and job.dead_at is not None


async def test_two_workers_never_run_the_same_job(app: Any) -> None:
    runs: list[int] = []

    async def slow(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        runs.append(payload["n"])
        await asyncio.sleep(0.05)  # hold the row lock while the other worker looks

    queues = [JobQueue("oncall", {"slow": slow}, batch_size=5) for _ in range(2)]
    for n in range(20):
        await _enqueue(app, "slow", {"n": n})
    for _ in range(10):
        await asyncio.gather(*(queue.run_due(app) for queue in queues))
        if not await _jobs(app):
            break
    assert sorted(runs) == list(range(20))


async def test_worker_task_drains_the_queue_when_woken(app: Any) -> None:
    done = asyncio.Event()

    async def handler(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        done.set()

    queue = JobQueue("oncall", {"k": handler}, poll_interval=30)
    task = asyncio.create_task(queue.worker(app))
    try:
        await asyncio.sleep(0.05)
        await _enqueue(app, "k", {})
        queue.wake()
        await asyncio.wait_for(done.wait(), timeout=5)
    finally:
        task.cancel()
    assert done.is_set()


async def test_queues_with_disjoint_kinds_share_a_table(app: Any) -> None:
    ran: list[str] = []

    async def handler(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        ran.append(payload["kind"])

    urgent = JobQueue("oncall", {"page": handler}, kinds={"page"})
    slow = JobQueue("oncall", {"timeline": handler}, kinds={"timeline"})
    await _enqueue(app, "timeline", {"kind": "timeline"})
    await _enqueue(app, "page", {"kind": "page"})
    assert await urgent.run_due(app) == 1 and ran == ["page"]
    assert await urgent.run_due(app) == 0  # the other kind is left alone, not killed
    [job] = await _jobs(app)
    assert job.kind == "timeline" and job.dead_at is None
    assert await slow.run_due(app) == 1 and ran == ["page", "timeline"]


# ---------------------------------------------------------------- batch handlers


async def _enqueue_many(app: Any, *jobs: NewJob) -> int:
    due = [replace(job, run_at=job.run_at or app.state.clock.now()) for job in jobs]
    async with app.state.sessionmaker() as session, session.begin():
        return await enqueue_many(session, schema="oncall", jobs=due)


async def test_enqueue_many_writes_each_dedup_key_once(app: Any) -> None:
    first = [NewJob("page", {"n": n}, dedup_key=f"k{n}") for n in range(3)]
    assert await _enqueue_many(app, *first) == 3
    assert (
        await _enqueue_many(app, NewJob("page", {"n": 9}, dedup_key="k1"), NewJob("page", {})) == 1
    )
    assert [job.payload for job in await _jobs(app)] == [{"n": 0}, {"n": 1}, {"n": 2}, {}]


async def test_a_batch_handler_gets_every_due_job_of_its_kind_in_one_call(app: Any) -> None:
    calls: list[list[dict[str, Any]]] = []
    singles: list[dict[str, Any]] = []

    async def batch(*, app: Any, session: Any, payloads: list[dict[str, Any]]) -> None:
        calls.append(payloads)

    async def single(*, app: Any, session: Any, payload: dict[str, Any]) -> None:
        singles.append(payload)

    await _enqueue_many(
        app, *[NewJob("start", {"n": n}) for n in range(5)], NewJob("stop", {"n": 0})
    )
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

    await _enqueue_many(app, *[NewJob("start", {"n": n}) for n in range(3)])
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

    await _enqueue_many(app, *[NewJob("start", {"n": n}) for n in range(2)])
    queue = JobQueue("oncall", {}, batch_handlers={"start": batch}, base_backoff=2)
    await queue.run_due(app)
    jobs = await _jobs(app)
    assert [job.kind for job in jobs] == ["start", "start"]
    assert all(job.attempts == 1 and "neighbour down" in job.last_error for job in jobs)
    assert await queue.run_due(app) == 0  # backing off
