"""POST /internal/v1/escalations/batch and the batched senders: many incidents started in one
call, their pages sent to notification and their timeline entries to incident-management a batch
per call; idempotent replays, a stop before the start, and both neighbours down."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.statements import counted_pool_statements, counted_statements
from sqlalchemy import text

from .conftest import Recorder, World, drain, user_level

BATCH = "/internal/v1/escalations/batch"


def _starts(team: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "incident_id": str(uuid.uuid4()),
            "team": team,
            "title": f"Checkout 500s #{n}",
            "service": "checkout",
            "severity": "critical",
        }
        for n in range(count)
    ]


async def _jobs(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(text("SELECT count(*) FROM oncall.jobs")) or 0)


async def test_a_batch_pages_every_incident_once_with_one_call_per_neighbour(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"))
    team = await world.team("storm", alice)
    await world.policy(team, [user_level(alice)])
    starts = _starts(team, 5)
    response = await client.post(BATCH, json={"escalations": starts})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert sorted(r["incident_id"] for r in results) == sorted(s["incident_id"] for s in starts)
    # One level, no repeat: exhausted once level 1 is paged (in the same transaction).
    assert all(r["created"] and r["status"] == "exhausted" for r in results)
    await drain(app)
    assert recorder.batches == 1  # five pages, one call to notification
    for start in starts:
        assert recorder.paged(start["incident_id"]) == ["alice@example.com"]
        kinds = Counter(e["event_type"] for e in recorder.entries(start["incident_id"]))
        assert kinds == {"oncall_lookup": 1, "notification_sent": 1}
        state = (await client.get(f"/api/v1/escalations/{start['incident_id']}")).json()
        assert [p["status"] for p in state["pages"]] == ["sent"]
        assert state["title"] == start["title"]
    assert await _jobs(app) == 0


async def test_replaying_a_batch_changes_nothing_and_pages_nobody_again(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice = await world.user("Alice")
    team = await world.team("replay", alice)
    await world.policy(team, [user_level(alice)])
    starts = _starts(team, 3)
    await client.post(BATCH, json={"escalations": starts})
    await drain(app)
    pages = len(recorder.notify)
    # The same batch again (incident-management's retry after a lost answer), plus one new one.
    extra = _starts(team, 1)
    again = await client.post(BATCH, json={"escalations": [*starts, *starts[:1], *extra]})
    assert again.status_code == 200, again.text
    created = {r["incident_id"]: r["created"] for r in again.json()["results"]}
    assert len(created) == 4  # the repeated incident counts once
    assert created == {s["incident_id"]: s in extra for s in [*starts, *extra]}
    await drain(app)
    assert len(recorder.notify) == pages + 1
    # The single route agrees that these escalations exist.
    single = await client.post("/internal/v1/escalations", json=starts[0])
    assert single.status_code == 200


async def test_a_stop_before_its_start_in_a_batch_pages_nobody(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice = await world.user("Alice")
    team = await world.team("early-stop", alice)
    await world.policy(team, [user_level(alice)])
    stopped, paged = _starts(team, 2)
    response = await client.post(
        f"/internal/v1/escalations/{stopped['incident_id']}/stop",
        json={"reason": "acknowledged", "actor": "bob"},
    )
    assert response.status_code == 200
    response = await client.post(BATCH, json={"escalations": [stopped, paged]})
    results = {r["incident_id"]: r for r in response.json()["results"]}
    assert results[stopped["incident_id"]]["status"] == "stopped"
    assert results[stopped["incident_id"]]["created"] is False
    await drain(app)
    assert recorder.paged(stopped["incident_id"]) == []
    assert recorder.paged(paged["incident_id"]) == [alice["email"]]
    state = (await client.get(f"/api/v1/escalations/{stopped['incident_id']}")).json()
    assert state["team"] == team and state["title"] == stopped["title"]


async def test_neighbours_down_delay_the_batch_and_drop_nothing(
    app: FastAPI,
    make_app: Callable[..., FastAPI],
    app_client: Any,
    client: httpx.AsyncClient,
    world: World,
    recorder: Recorder,
    clock: ManualClock,
) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"), ("slack", "@alice"))
    team = await world.team("batch-outage", alice)
    await world.policy(team, [user_level(alice)])
    recorder.fail_notify, recorder.fail_timeline = 2, 2
    starts = _starts(team, 4)
    await client.post(BATCH, json={"escalations": starts})
    second = make_app()  # a second replica draining too: still one page per key
    async with app_client(second):
        for _ in range(10):  # bounded: past each capped backoff
            await drain(app, second)
            clock.advance(timedelta(seconds=60))
    keys = Counter(p["idempotency_key"] for p in recorder.notify)
    assert len(keys) == 8 and set(keys.values()) == {1}, "a page was lost or sent twice"
    dedup = Counter(e["dedup_key"] for s in starts for e in recorder.entries(s["incident_id"]))
    assert len(dedup) == 4 * 3 and set(dedup.values()) == {1}  # lookup + two pages each
    assert recorder.fail_notify == recorder.fail_timeline == 0
    assert await _jobs(app) == 0


async def test_neighbours_without_the_batch_routes_get_one_call_per_item(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"), ("slack", "@alice"))
    team = await world.team("rolling", alice)
    await world.policy(team, [user_level(alice)])
    recorder.old_versions = True  # a rolling deploy: the neighbours are the previous version
    recorder.refuse_channels = {"slack"}
    [start] = _starts(team, 1)
    await client.post(BATCH, json={"escalations": [start]})
    await drain(app)
    assert recorder.batches == 0
    assert sorted(p["channel"] for p in recorder.pages(start["incident_id"])) == ["email", "mock"]
    kinds = Counter(e["event_type"] for e in recorder.entries(start["incident_id"]))
    assert kinds == {"oncall_lookup": 1, "notification_sent": 2, "notification_failed": 1}
    [failed] = recorder.entries(start["incident_id"], "notification_failed")
    assert "HTTP 422: Channel 'slack' is not configured" in failed["message"]
    assert await _jobs(app) == 0


STOPS = "/internal/v1/escalations/stops"


async def test_stops_sent_together_stop_each_in_a_fixed_number_of_statements(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    """Concurrent acknowledges' stops arrive together: running escalations stop and their queued
    pages are cancelled, a stop before its start leaves a stopped record, an ack and a resolve of
    one incident apply in order, and 40 stops cost the statements of one."""
    alice, bob = await world.user("Alice"), await world.user("Bob")
    team = await world.team("ack-storm", alice, bob)
    await world.policy(team, [user_level(alice, delay=5), user_level(bob)])
    starts = _starts(team, 40)
    assert (await client.post(BATCH, json={"escalations": starts})).status_code == 200
    ids = [s["incident_id"] for s in starts]  # level 1 queued, level 2 due in 5 minutes
    never_started = str(uuid.uuid4())
    stops = [
        {"incident_id": ids[0], "reason": "acknowledged", "actor": "alice"},
        {"incident_id": ids[1], "reason": "acknowledged", "actor": "alice"},
        {"incident_id": ids[1], "reason": "resolved", "actor": "bob"},
        {"incident_id": never_started, "reason": "acknowledged", "actor": "carol"},
        *({"incident_id": i, "reason": "resolved", "actor": "dave"} for i in ids[2:]),
    ]
    # Warm up: asyncpg introspects the statement's array types once per connection.
    single = await client.post(
        f"/internal/v1/escalations/{uuid.uuid4()}/stop",
        json={"reason": "acknowledged", "actor": "x"},
    )
    assert single.status_code == 200
    with counted_statements(app) as orm, counted_pool_statements(app) as batch:
        response = await client.post(STOPS, json={"stops": stops})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["incident_id"] for r in results] == [s["incident_id"] for s in stops]
    assert {r["status"] for r in results} == {"stopped"}
    assert results[0]["stop_reason"] == "acknowledged" and results[2]["stop_reason"] == "resolved"
    # One statement per round (ids[1] is named twice: two rounds), not one per stop.
    assert (len(orm), len(batch)) == (0, 2), batch

    late = await client.post(
        "/internal/v1/escalations",
        json={"incident_id": never_started, "team": team, "title": "t", "severity": "low"},
    )
    assert late.status_code == 200 and late.json()["status"] == "stopped"
    await drain(app)
    assert all(recorder.paged(i) == [] for i in [*ids, never_started])
    state = (await client.get(f"/api/v1/escalations/{ids[1]}")).json()
    assert [e["message"] for e in state["events"] if e["kind"] == "stopped"] == [
        "Escalation stopped: acknowledged by alice; 1 page(s) not yet sent were cancelled",
        "Resolved by bob",
    ]
    assert [p["status"] for p in state["pages"]] == ["cancelled"]

    replay = await client.post(STOPS, json={"stops": stops})
    assert replay.status_code == 200
    again = (await client.get(f"/api/v1/escalations/{ids[1]}")).json()
    assert len(again["events"]) == len(state["events"])  # nothing changed, nothing recorded


async def test_a_malformed_stop_batch_is_refused_whole(client: httpx.AsyncClient) -> None:
    incident = str(uuid.uuid4())
    for body in (
        {"stops": []},
        {"stops": [{"incident_id": incident, "reason": "bored", "actor": "a"}]},
        {"stops": [{"incident_id": "nope", "reason": "resolved"}]},
        {"stops": [{"incident_id": incident, "reason": "resolved", "extra": 1}]},
        {"stops": [{"incident_id": incident, "reason": "resolved"}] * 501},
    ):
        response = await client.post(STOPS, json=body)
        assert response.status_code == 422, (body, response.text)
    state = await client.get(f"/api/v1/escalations/{incident}")
    assert state.status_code == 404


async def test_concurrent_stops_of_incidents_not_yet_started_record_each_once(
    client: httpx.AsyncClient,
) -> None:
    """Both copies insert the stopped record; one wins, the other sees it on its second pass."""
    import asyncio

    ids = [str(uuid.uuid4()) for _ in range(20)]
    stops = {"stops": [{"incident_id": i, "reason": "acknowledged", "actor": "a"} for i in ids]}
    answers = await asyncio.gather(*(client.post(STOPS, json=stops) for _ in range(5)))
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    for answer in answers:
        assert [r["status"] for r in answer.json()["results"]] == ["stopped"] * 20
    for incident_id in ids:
        state = (await client.get(f"/api/v1/escalations/{incident_id}")).json()
        assert [e["message"] for e in state["events"]] == [
            "Stopped before it started: acknowledged by a"
        ]
