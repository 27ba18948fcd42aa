"""Durable timers at N replicas: exactly one page per step across two workers, a restart between
steps, notification down (retried, never dropped), and the live workers meeting a due step."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.plugin import service_headers
from sqlalchemy import text

from .conftest import Recorder, World, drain, user_level


async def test_two_workers_send_exactly_one_page_per_step(
    app: FastAPI,
    make_app: Callable[..., FastAPI],
    app_client: Any,
    world: World,
    recorder: Recorder,
    clock: ManualClock,
) -> None:
    alice = await world.user("Alice", ("email", "a@example.com"), ("slack", "@a"))
    bob, carol = await world.user("Bob"), await world.user("Carol")
    team = await world.team("replicas", alice, bob, carol)
    await world.policy(
        team, [user_level(alice, delay=2), user_level(bob, carol, delay=2)], repeat_count=1
    )
    incidents = [await world.start(team) for _ in range(3)]
    second = make_app()
    async with app_client(second):
        for _ in range(6):
            await drain(app, second)
            clock.advance(timedelta(minutes=2))
    keys = Counter(p["idempotency_key"] for i in incidents for p in recorder.pages(i))
    assert set(keys.values()) == {1}, "a page was sent twice"
    for incident in incidents:
        # level 1 (2 methods) + level 2 (2 people), twice (one repeat)
        assert len(recorder.pages(incident)) == 8


async def test_a_restart_between_steps_loses_nothing(
    make_app: Callable[..., FastAPI],
    app_client: Any,
    recorder: Recorder,
    clock: ManualClock,
) -> None:
    first = make_app()
    async with app_client(first):
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://oncall", headers=service_headers(first)
        ) as client:
            world = World(client)
            alice, bob = await world.user("Alice"), await world.user("Bob")
            team = await world.team("restart", alice, bob)
            await world.policy(team, [user_level(alice, delay=10), user_level(bob)])
            incident = await world.start(team)
            await drain(first)
    assert recorder.paged(incident) == [alice["email"]]

    clock.advance(timedelta(minutes=10))
    restarted = make_app()  # a new process on the same database
    async with app_client(restarted):
        await drain(restarted)
    assert recorder.paged(incident) == [alice["email"], bob["email"]]


async def test_notification_down_is_retried_never_dropped(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder, clock: ManualClock
) -> None:
    alice = await world.user("Alice")
    team = await world.team("outage", alice)
    await world.policy(team, [user_level(alice)])
    recorder.fail_notify = 3
    incident = await world.start(team)
    for _ in range(10):
        await drain(app)
        if recorder.paged(incident):
            break
        clock.advance(timedelta(seconds=30))  # past the job's capped backoff
    assert recorder.paged(incident) == [alice["email"]]
    state = (await client.get(f"/api/v1/escalations/{incident}")).json()
    assert [p["status"] for p in state["pages"]] == ["sent"]


async def test_a_refused_channel_falls_back_to_mock(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"))
    team = await world.team("refused", alice)
    await world.policy(team, [user_level(alice)])
    recorder.refuse_channels = {"email"}
    incident = await world.start(team)
    await drain(app)
    assert [(p["channel"], p["recipient"]) for p in recorder.pages(incident)] == [
        ("mock", "alice@example.com")
    ]
    [failed] = recorder.entries(incident, "notification_failed")
    assert "is not configured" in failed["message"] and "mock" in failed["message"]
    state = (await client.get(f"/api/v1/escalations/{incident}")).json()
    assert [(p["channel"], p["status"]) for p in state["pages"]] == [
        ("email", "failed"),
        ("mock", "sent"),
    ]


async def test_live_workers_fire_a_due_step(
    make_app: Callable[..., FastAPI],
    app_client: Any,
    recorder: Recorder,
    clock: ManualClock,
) -> None:
    live = make_app(escalation_workers_enabled=True, escalation_poll_seconds=0.05)
    async with app_client(live) as client:
        world = World(client)
        alice, bob = await world.user("Alice"), await world.user("Bob")
        team = await world.team("live", alice, bob)
        await world.policy(team, [user_level(alice, delay=3), user_level(bob)])
        incident = await world.start(team)
        clock.advance(timedelta(minutes=3))
        for _ in range(200):  # bounded: the workers poll every 50 ms
            if len(recorder.paged(incident)) == 2:
                break
            await asyncio.sleep(0.02)
        assert recorder.paged(incident) == [alice["email"], bob["email"]]
        metrics = (await client.get("/metrics")).text
    assert f'escalations_total{{team="{team}"}} 1.0' in metrics
    assert 'oncall_notifications_sent_total{channel="mock"}' in metrics


async def test_a_broken_step_is_postponed_and_does_not_block_the_others(
    app: FastAPI, world: World, recorder: Recorder, clock: ManualClock
) -> None:
    alice = await world.user("Alice")
    team = await world.team("poison", alice)
    await world.policy(team, [user_level(alice, delay=1), user_level(alice)])
    broken, healthy = await world.start(team), await world.start(team)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE oncall.escalations SET next_level = 7 WHERE incident_id = :id"),
            {"id": broken},
        )
    clock.advance(timedelta(minutes=1))
    await drain(app)
    assert len(recorder.paged(healthy)) == 2 and len(recorder.paged(broken)) == 1
    async with app.state.sessionmaker() as session:
        due = await session.scalar(
            text("SELECT next_step_at FROM oncall.escalations WHERE incident_id = :id"),
            {"id": broken},
        )
    assert due == clock.now() + timedelta(seconds=30)
