"""Escalations with a fast-forwarded clock: level 1 at once, level 2 after the delay, stop, repeat,
manual escalation, the snapshot, and the implicit "team on-call" level."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from nightwatch_core.clock import ManualClock
from nightwatch_oncall.escalation.workers import runtime
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .conftest import Recorder, World, drain, user_level


async def _state(client: httpx.AsyncClient, incident_id: uuid.UUID) -> dict[str, Any]:
    response = await client.get("/api/v1/escalations", params={"incident_id": str(incident_id)})
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    return item  # type: ignore[no-any-return]


async def test_level_1_at_once_then_level_2_after_the_delay(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder, clock: ManualClock
) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"), ("slack", "@alice"))
    bob = await world.user("Bob")
    team = await world.team("payments", alice, bob)
    await world.policy(team, [user_level(alice, delay=5), user_level(bob)])

    incident = await world.start(team)
    await drain(app)
    assert sorted(recorder.paged(incident)) == ["@alice", "alice@example.com"]
    channels = {p["channel"] for p in recorder.pages(incident)}
    assert channels == {"email", "slack"}
    assert {e["message"] for e in recorder.entries(incident, "notification_sent")} == {
        "Paged Alice via email",
        "Paged Alice via slack",
    }
    [lookup] = recorder.entries(incident, "oncall_lookup")
    assert "Alice" in lookup["message"]

    clock.advance(timedelta(minutes=5) - timedelta(seconds=1))
    await drain(app)
    assert len(recorder.pages(incident)) == 2  # not yet

    clock.advance(timedelta(seconds=1))
    await drain(app)
    bob_pages = [p for p in recorder.pages(incident) if p["recipient"] == bob["email"]]
    assert [p["channel"] for p in bob_pages] == ["mock"]  # no contact method: mock channel
    [escalated] = recorder.entries(incident, "escalated")
    assert escalated["message"].startswith("Escalated to level 2")

    state = await _state(client, incident)
    assert state["status"] == "exhausted" and state["last_level"] == 2
    assert [p["status"] for p in state["pages"]] == ["sent", "sent", "sent"]
    kinds = [e["kind"] for e in state["events"]]
    assert kinds == ["started", "level_paged", "level_paged", "exhausted"]


async def test_ack_before_level_2_stops_every_page(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder, clock: ManualClock
) -> None:
    alice, bob = await world.user("Alice"), await world.user("Bob")
    team = await world.team("checkout", alice, bob)
    await world.policy(team, [user_level(alice, delay=5), user_level(bob)], repeat_count=3)
    incident = await world.start(team)
    await drain(app)
    assert recorder.paged(incident) == [alice["email"]]

    clock.advance(timedelta(minutes=4))
    stop = {"reason": "acknowledged", "actor": "alice"}
    response = await client.post(f"/internal/v1/escalations/{incident}/stop", json=stop)
    assert response.status_code == 200 and response.json()["status"] == "stopped"
    again = await client.post(f"/internal/v1/escalations/{incident}/stop", json=stop)
    assert again.status_code == 200 and again.json()["stopped_at"] == response.json()["stopped_at"]

    for _ in range(5):
        clock.advance(timedelta(minutes=10))
        await drain(app)
    assert recorder.paged(incident) == [alice["email"]]
    assert (await _state(client, incident))["next_step_at"] is None


async def test_stop_cancels_pages_not_yet_sent(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice = await world.user("Alice")
    team = await world.team("search", alice)
    await world.policy(team, [user_level(alice)])
    incident = await world.start(team)  # level 1 queued, not yet sent
    response = await client.post(
        f"/internal/v1/escalations/{incident}/stop", json={"reason": "resolved", "actor": "bob"}
    )
    assert response.status_code == 200
    await drain(app)
    assert recorder.paged(incident) == []
    assert [p["status"] for p in response.json()["pages"]] == ["cancelled"]


async def _blocked_by_the_page_sender(engine: AsyncEngine) -> None:
    """Return once a statement waits for the page sender's share lock on the escalation rows."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity w, unnest(pg_blocking_pids(w.pid)) AS blocker(pid) "
        "JOIN pg_stat_activity b ON b.pid = blocker.pid "
        "WHERE w.datname = current_database() AND b.query LIKE '%FOR SHARE OF e%'"
    )
    async with engine.connect() as connection:
        for _ in range(1000):  # bounded: the stop is sent before this is called
            found = await connection.scalar(waiting)
            await connection.commit()  # pg_stat_activity is read once per transaction
            if found:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the stop never waited for the page being sent")


async def test_a_stop_waits_for_a_page_in_flight_and_no_page_goes_out_after_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    recorder: Recorder,
    db_engine: AsyncEngine,
) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"), ("slack", "@alice"))
    team = await world.team("inflight", alice)
    await world.policy(team, [user_level(alice)])
    recorder.hold = asyncio.Event()
    incident = await world.start(team)  # two pages queued: email and slack
    # One page per batch here, so one is in flight while the other is still queued.
    runtime(app).pages.batch_size = 1
    sending = asyncio.create_task(runtime(app).pages.run_due(app))
    await asyncio.wait_for(recorder.arrival.wait(), timeout=10)  # at "notification", held there
    assert recorder.arrived == 1
    stop = asyncio.create_task(
        client.post(
            f"/internal/v1/escalations/{incident}/stop",
            json={"reason": "acknowledged", "actor": "a"},
        )
    )
    # Seen in PostgreSQL, not guessed from elapsed time: the stop waits for the share lock the
    # sender holds on the escalation's row while its page is out.
    await _blocked_by_the_page_sender(db_engine)
    assert not stop.done(), "the stop must wait for the page being sent"
    recorder.hold.set()
    await sending
    assert (await stop).status_code == 200
    await drain(app)
    assert len(recorder.pages(incident)) == 1  # the one in flight; the other was cancelled
    state = await _state(client, incident)
    assert sorted(p["status"] for p in state["pages"]) == ["cancelled", "sent"]


async def test_a_stop_that_arrives_before_the_start_means_no_page(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice = await world.user("Alice")
    team = await world.team("ledger", alice)
    await world.policy(team, [user_level(alice)])
    incident = uuid.uuid4()
    response = await client.post(
        f"/internal/v1/escalations/{incident}/stop", json={"reason": "acknowledged", "actor": "a"}
    )
    assert response.status_code == 200
    late = await client.post(
        "/internal/v1/escalations",
        json={"incident_id": str(incident), "team": team, "title": "t", "severity": "low"},
    )
    assert late.status_code == 200 and late.json()["status"] == "stopped"
    await drain(app)
    assert recorder.paged(incident) == []


async def test_start_is_idempotent_per_incident(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice = await world.user("Alice")
    team = await world.team("idem", alice)
    await world.policy(team, [user_level(alice)])
    incident = await world.start(team)
    body = {"incident_id": str(incident), "team": team, "title": "again", "severity": "high"}
    for _ in range(3):
        response = await client.post("/internal/v1/escalations", json=body)
        assert response.status_code == 200
    await drain(app)
    assert recorder.paged(incident) == [alice["email"]]


async def test_repeat_count_is_honoured(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder, clock: ManualClock
) -> None:
    alice, bob = await world.user("Alice"), await world.user("Bob")
    team = await world.team("repeat", alice, bob)
    await world.policy(team, [user_level(alice, delay=1), user_level(bob, delay=2)], repeat_count=2)
    incident = await world.start(team)
    for _ in range(20):  # 60 minutes, far past the last step
        await drain(app)
        clock.advance(timedelta(minutes=3))
    a, b = alice["email"], bob["email"]
    assert recorder.paged(incident) == [a, b, a, b, a, b]  # 1 run + 2 repeats
    state = await _state(client, incident)
    assert state["status"] == "exhausted" and state["steps_taken"] == 6


async def test_manual_escalate_to_next_level_and_to_another_team(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice, bob, carol = (
        await world.user("Alice"),
        await world.user("Bob"),
        await world.user("Carol"),
    )
    team = await world.team("web", alice, bob)
    other = await world.team("dba", carol)
    await world.policy(team, [user_level(alice, delay=30), user_level(bob, delay=30)])
    await world.policy(other, [{"targets": [{"type": "team", "id": other}], "delay_minutes": 5}])
    incident = await world.start(team)
    await drain(app)

    response = await client.post(
        "/api/v1/escalate", json={"incident_id": str(incident)}, headers={"X-Actor": "dave"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["last_level"] == 2
    await drain(app)
    assert recorder.paged(incident) == [alice["email"], bob["email"]]
    [escalated] = recorder.entries(incident, "escalated")
    assert escalated["message"] == "Escalated to level 2 (by dave)" and escalated["actor"] == "dave"

    response = await client.post(
        "/api/v1/escalate", json={"incident_id": str(incident), "team": other}
    )
    assert response.status_code == 200 and response.json()["team"] == other
    await drain(app)
    assert recorder.paged(incident)[-1] == carol["email"]

    unknown = await client.post(
        "/api/v1/escalate", json={"incident_id": str(incident), "team": "no-such-team"}
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_team"
    missing = await client.post("/api/v1/escalate", json={"incident_id": str(uuid.uuid4())})
    assert missing.status_code == 404
    await client.post(
        f"/internal/v1/escalations/{incident}/stop", json={"reason": "resolved", "actor": "x"}
    )
    stopped = await client.post("/api/v1/escalate", json={"incident_id": str(incident)})
    assert stopped.status_code == 409


async def test_editing_the_policy_does_not_change_an_escalation_in_flight(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder, clock: ManualClock
) -> None:
    alice, bob, eve = await world.user("Alice"), await world.user("Bob"), await world.user("Eve")
    team = await world.team("snap", alice, bob, eve)
    policy = await world.policy(team, [user_level(alice), user_level(bob)])
    incident = await world.start(team)
    await drain(app)
    edit = await client.patch(
        f"/api/v1/escalation-policies/{policy['id']}", json={"levels": [user_level(eve)]}
    )
    assert edit.status_code == 200 and edit.json()["version"] == 2
    clock.advance(timedelta(minutes=5))
    await drain(app)
    assert recorder.paged(incident) == [alice["email"], bob["email"]]
    assert (await _state(client, incident))["policy"]["version"] == 1


async def test_a_team_without_policy_pages_its_current_oncall(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice, bob = await world.user("Alice"), await world.user("Bob")
    team = await world.team("nopolicy", alice, bob)
    schedule = await client.post(
        "/api/v1/schedules",
        json={
            "name": "Primary",
            "team": team,
            "layers": [
                {
                    "participants": [bob["id"], alice["id"]],
                    "rotation_type": "weekly",
                    "start_date": "2026-01-05",
                    "handoff_time": "09:00",
                }
            ],
        },
    )
    assert schedule.status_code == 201, schedule.text
    incident = await world.start(team)
    await drain(app)
    assert recorder.paged(incident) == [bob["email"]]
    [lookup] = recorder.entries(incident, "oncall_lookup")
    assert "Bob" in lookup["message"] and "Primary" in lookup["message"]
    state = await _state(client, incident)
    assert state["policy"]["implicit"] is True


async def test_an_unknown_team_is_accepted_and_says_nobody_was_found(
    app: FastAPI, client: httpx.AsyncClient, recorder: Recorder
) -> None:
    incident = uuid.uuid4()
    response = await client.post(
        "/internal/v1/escalations",
        json={"incident_id": str(incident), "team": "ghosts", "title": "t", "severity": "low"},
    )
    assert response.status_code == 201  # accepted: an incident is never refused
    await drain(app)
    [lookup] = recorder.entries(incident, "oncall_lookup")
    assert "nobody on call" in lookup["message"] and "does not exist" in lookup["message"]
