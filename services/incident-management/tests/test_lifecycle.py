"""Create, read, the state machine, MTTA/MTTR, notes, assignee, timeline, concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nightwatch_core.clock import ManualClock
from sqlalchemy import text


async def test_create_opens_an_incident_for_the_default_team(helpers: Any) -> None:
    incident = await helpers.create()
    assert incident["status"] == "open"
    assert incident["team"] == "default"
    assert incident["assignee"] is None
    assert incident["allowed_transitions"] == ["acknowledged", "resolved"]
    assert incident["mtta_seconds"] is None and incident["mttr_seconds"] is None
    detail = await helpers.detail(incident["id"])
    [created] = detail["timeline"]
    assert created["event_type"] == "created" and created["actor"] == "anonymous"
    assert detail["description"] == "frontend is failing"


async def test_create_with_team_and_assignee_records_both(helpers: Any) -> None:
    response = await helpers.client.post(
        "/api/v1/incidents",
        json={
            "title": "DB down",
            "service": helpers.service,
            "severity": "critical",
            "description": "",
            "team": "payments",
            "assignee": "alice",
        },
        headers={"X-Actor": "ingestion"},
    )
    assert response.status_code == 201
    incident = response.json()
    assert (incident["team"], incident["assignee"]) == ("payments", "alice")
    timeline = (await helpers.detail(incident["id"]))["timeline"]
    assert [e["event_type"] for e in timeline] == ["created", "assignee_changed"]
    assert {e["actor"] for e in timeline} == {"ingestion"}


async def test_same_idempotency_key_gives_the_same_incident_with_200(helpers: Any) -> None:
    body = {"title": "t", "service": helpers.service, "severity": "low", "description": "d"}
    headers = {"Idempotency-Key": f"alert-{helpers.service}"}
    first = await helpers.client.post("/api/v1/incidents", json=body, headers=headers)
    again = await helpers.client.post("/api/v1/incidents", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert len((await helpers.detail(first.json()["id"]))["timeline"]) == 1
    assert [j.kind for j in await helpers.jobs(first.json()["id"])] == ["start_escalation"]


async def test_concurrent_creates_with_one_key_make_one_incident(helpers: Any) -> None:
    body = {"title": "t", "service": helpers.service, "severity": "low", "description": "d"}
    headers = {"Idempotency-Key": f"race-{helpers.service}"}
    responses = await asyncio.gather(
        *(helpers.client.post("/api/v1/incidents", json=body, headers=headers) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    listed = await helpers.client.get("/api/v1/incidents", params={"service": helpers.service})
    assert listed.json()["total"] == 1


async def test_acknowledge_records_time_actor_and_mtta(helpers: Any, clock: ManualClock) -> None:
    incident = await helpers.create()
    clock.advance(90)
    response = await helpers.patch(
        incident["id"], {"status": "acknowledged"}, **{"X-Actor": "alice"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_by"] == "alice"
    assert body["mtta_seconds"] == 90.0 and body["mttr_seconds"] is None
    assert body["allowed_transitions"] == ["in_progress", "resolved"]
    entry = (await helpers.detail(incident["id"]))["timeline"][-1]
    assert entry["event_type"] == "status_changed" and entry["actor"] == "alice"
    assert entry["data"]["from"] == "open" and entry["data"]["to"] == "acknowledged"
    assert entry["created_at"].startswith("2026-03-01T12:01:30")


async def test_actor_defaults_to_anonymous(helpers: Any) -> None:
    incident = await helpers.create()
    body = (await helpers.patch(incident["id"], {"status": "acknowledged"})).json()
    assert body["acknowledged_by"] == "anonymous"


async def test_resolve_with_notes_exactly_as_documented(helpers: Any, clock: ManualClock) -> None:
    incident = await helpers.create()
    clock.advance(60)
    await helpers.patch(incident["id"], {"status": "acknowledged"})
    clock.advance(240)
    response = await helpers.patch(
        incident["id"],
        {"status": "resolved", "notes": "Fixed the root cause"},
        **{"X-Actor": "bob"},
    )
    assert response.status_code == 200
    assert response.json()["resolved_by"] == "bob"
    detail = await helpers.detail(incident["id"])
    assert [n["body"] for n in detail["notes"]] == ["Fixed the root cause"]
    assert detail["notes"][0]["author"] == "bob"
    kinds = [e["event_type"] for e in detail["timeline"]]
    assert kinds == ["created", "status_changed", "status_changed", "note_added"]
    metrics = (await helpers.client.get(f"/api/v1/incidents/{incident['id']}/metrics")).json()
    assert (metrics["mtta_seconds"], metrics["mttr_seconds"]) == (60.0, 300.0)
    assert detail["allowed_transitions"] == []


async def test_full_path_through_in_progress(helpers: Any, clock: ManualClock) -> None:
    incident = await helpers.create()
    for status, wait in (("acknowledged", 10), ("in_progress", 20), ("resolved", 30)):
        clock.advance(wait)
        response = await helpers.patch(incident["id"], {"status": status})
        assert response.status_code == 200, response.text
    body = response.json()
    assert (body["mtta_seconds"], body["mttr_seconds"]) == (10.0, 60.0)


async def test_resolving_straight_from_open_sets_mttr_only(
    helpers: Any, clock: ManualClock
) -> None:
    incident = await helpers.create()
    metrics_url = f"/api/v1/incidents/{incident['id']}/metrics"
    before = (await helpers.client.get(metrics_url)).json()
    assert before["mtta_seconds"] is None and before["mttr_seconds"] is None
    clock.advance(45)
    await helpers.patch(incident["id"], {"status": "resolved"})
    after = (await helpers.client.get(metrics_url)).json()
    assert after["mtta_seconds"] is None and after["mttr_seconds"] == 45.0
    assert after["status"] == "resolved"


@pytest.mark.parametrize(
    ("path", "target", "allowed"),
    [
        ([], "in_progress", ["acknowledged", "resolved"]),
        ([], "open", ["acknowledged", "resolved"]),
        (["acknowledged"], "acknowledged", ["in_progress", "resolved"]),
        (["acknowledged"], "open", ["in_progress", "resolved"]),
        (["acknowledged", "in_progress"], "acknowledged", ["resolved"]),
        (["acknowledged", "in_progress"], "open", ["resolved"]),
        (["resolved"], "open", []),
        (["resolved"], "acknowledged", []),
        (["resolved"], "resolved", []),
    ],
)
async def test_every_other_transition_is_409_and_changes_nothing(
    helpers: Any, path: list[str], target: str, allowed: list[str]
) -> None:
    incident = await helpers.create()
    for status in path:
        assert (await helpers.patch(incident["id"], {"status": status})).status_code == 200
    before = await helpers.detail(incident["id"])
    response = await helpers.patch(
        incident["id"], {"status": target, "notes": "should not be kept", "assignee": "eve"}
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    current = path[-1] if path else "open"
    assert error["details"] == {
        "current_status": current,
        "requested_status": target,
        "allowed_transitions": allowed,
    }
    after = await helpers.detail(incident["id"])
    assert after["timeline"] == before["timeline"] and after["notes"] == []
    assert after["assignee"] is None


async def test_simultaneous_acknowledges_one_wins_the_rest_409(
    helpers: Any, neighbours: Any
) -> None:
    incident = await helpers.create()
    responses = await asyncio.gather(
        *(
            helpers.patch(incident["id"], {"status": "acknowledged"}, **{"X-Actor": f"user{i}"})
            for i in range(8)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7
    winner = next(r.json() for r in responses if r.status_code == 200)
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json()["error"]["details"]["current_status"] == "acknowledged"
    timeline = (await helpers.detail(incident["id"]))["timeline"]
    transitions = [e for e in timeline if e["event_type"] == "status_changed"]
    assert len(transitions) == 1 and transitions[0]["actor"] == winner["acknowledged_by"]
    assert len(neighbours.stops_for(incident["id"])) == 1


async def test_database_refuses_a_second_entry_for_one_transition(helpers: Any) -> None:
    incident = await helpers.create()
    await helpers.patch(incident["id"], {"status": "acknowledged"})
    async with helpers.app.state.sessionmaker() as session:
        inserted = await session.execute(
            text(
                "INSERT INTO incidents.incident_timeline "
                "(incident_id, event_type, actor, dedup_key, created_at) "
                "VALUES (:id, 'status_changed', 'x', 'status:acknowledged', now()) "
                "ON CONFLICT DO NOTHING RETURNING id"
            ),
            {"id": incident["id"]},
        )
        assert inserted.first() is None


async def test_assignee_change_and_unassign_are_on_the_timeline(helpers: Any) -> None:
    incident = await helpers.create()
    assigned = await helpers.patch(incident["id"], {"assignee": "carol"})
    assert assigned.json()["assignee"] == "carol"
    same = await helpers.patch(incident["id"], {"assignee": "carol"})
    assert same.status_code == 200
    cleared = await helpers.patch(incident["id"], {"assignee": None})
    assert cleared.json()["assignee"] is None
    changes = [
        e["data"]
        for e in (await helpers.detail(incident["id"]))["timeline"]
        if e["event_type"] == "assignee_changed"
    ]
    assert changes == [{"from": None, "to": "carol"}, {"from": "carol", "to": None}]


async def test_note_alone_and_note_alias(helpers: Any) -> None:
    incident = await helpers.create()
    assert (await helpers.patch(incident["id"], {"notes": "looking"})).status_code == 200
    assert (await helpers.patch(incident["id"], {"note": "still looking"})).status_code == 200
    detail = await helpers.detail(incident["id"])
    assert [n["body"] for n in detail["notes"]] == ["looking", "still looking"]
    assert detail["status"] == "open"


async def test_timeline_is_append_only_in_the_database(helpers: Any) -> None:
    incident = await helpers.create()
    async with helpers.app.state.sessionmaker() as session:
        with pytest.raises(Exception, match="append-only"):
            await session.execute(
                text("UPDATE incidents.incident_timeline SET actor = 'x' WHERE incident_id = :id"),
                {"id": incident["id"]},
            )
