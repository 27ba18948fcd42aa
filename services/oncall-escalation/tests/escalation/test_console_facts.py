"""What the console shows of an escalation (issue #15): a level that paged nobody says so on the
incident's timeline (incident-management marks the incident from it), a stop is a timeline entry,
a page's subject names the severity once, and a schedule a policy pages cannot be deleted."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from .conftest import Recorder, World, drain, user_level


async def _paging_team(world: World, name: str) -> str:
    """A team whose policy pages Alice (who has no contact method: the mock channel)."""
    alice = await world.user("Alice")
    team = await world.team(name, alice)
    await world.policy(team, [user_level(alice)])
    return team


async def test_an_unknown_team_without_policy_reports_nobody_paged_with_the_reasons(
    app: FastAPI, client: httpx.AsyncClient, recorder: Recorder
) -> None:
    incident = uuid.uuid4()
    started = await client.post(
        "/internal/v1/escalations",
        json={"incident_id": str(incident), "team": "default", "title": "t", "severity": "low"},
    )
    assert started.status_code == 201, started.text
    await drain(app)
    [entry] = recorder.entries(incident, "nobody_paged")
    assert entry["message"].startswith("Nobody was paged at level 1: ")
    assert "team default has no escalation policy" in entry["message"]
    assert "team default does not exist" in entry["message"]
    assert entry["data"]["level"] == 1


async def test_a_level_that_pages_someone_reports_no_nobody_paged(
    app: FastAPI, world: World, recorder: Recorder
) -> None:
    team = await _paging_team(world, "paged")
    incident = await world.start(team)
    await drain(app)
    assert recorder.entries(incident, "nobody_paged") == []
    assert recorder.entries(incident, "notification_sent")


async def test_the_subject_names_the_severity_once(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    team = await _paging_team(world, "subject")
    incident = uuid.uuid4()
    response = await client.post(
        "/internal/v1/escalations",
        json={
            "incident_id": str(incident),
            "team": team,
            "title": "[critical] checkout: 5xx > 10%",
            "service": "checkout",
            "severity": "critical",
        },
    )
    assert response.status_code == 201, response.text
    await drain(app)
    [page] = recorder.pages(incident)
    assert page["subject"] == "[CRITICAL] checkout: 5xx > 10%"


async def test_a_stop_is_an_escalation_stopped_timeline_entry_once(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    team = await _paging_team(world, "stopped")
    incident = await world.start(team)
    await drain(app)
    for reason in ("acknowledged", "acknowledged", "resolved"):
        response = await client.post(
            f"/internal/v1/escalations/{incident}/stop", json={"reason": reason, "actor": "bob"}
        )
        assert response.status_code == 200, response.text
    await drain(app)
    [entry] = recorder.entries(incident, "escalation_stopped")
    assert entry["message"] == "Escalation stopped at level 1: acknowledged by bob"
    assert entry["actor"] == "bob"
    assert entry["data"] == {"reason": "acknowledged", "level": 1, "cancelled_pages": 0}


async def test_a_schedule_a_policy_pages_is_a_409_until_the_policy_is_gone(
    client: httpx.AsyncClient, world: World
) -> None:
    alice = await world.user("Alice")
    team = await world.team("deletes", alice)
    schedule = await client.post(
        "/api/v1/schedules",
        json={
            "name": "Primary",
            "team": team,
            "layers": [
                {
                    "participants": [alice["id"]],
                    "rotation_type": "weekly",
                    "start_date": "2026-01-05",
                    "handoff_time": "09:00",
                }
            ],
        },
    )
    assert schedule.status_code == 201, schedule.text
    schedule_id = schedule.json()["id"]
    policy: dict[str, Any] = await world.policy(
        team, [{"targets": [{"type": "schedule", "id": schedule_id}], "delay_minutes": 5}]
    )
    refused = await client.delete(f"/api/v1/schedules/{schedule_id}")
    assert refused.status_code == 409, refused.text
    message = refused.json()["error"]["message"]
    assert "'Primary'" in message and f"'{team} policy'" in message and "first" in message
    assert (await client.delete(f"/api/v1/escalation-policies/{policy['id']}")).status_code == 204
    assert (await client.delete(f"/api/v1/schedules/{schedule_id}")).status_code == 204
    assert (await client.get(f"/api/v1/schedules/{schedule_id}")).status_code == 404
