"""Batched paths: the due escalation starts go to on-call in one call (queued one by one or
set-based), and POST /internal/v1/incidents/timeline/batch takes many entries at once."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from nightwatch_core.clock import ManualClock
from nightwatch_incidents.incidents import flows
from nightwatch_incidents.incidents.models import Incident
from sqlalchemy import select

from .conftest import ONCALL

TIMELINE_BATCH = "/internal/v1/incidents/timeline/batch"


async def test_due_starts_go_to_oncall_in_one_call(helpers: Any, neighbours: Any) -> None:
    incidents = [await helpers.create(team="payments") for _ in range(5)]
    assert await helpers.run_jobs() == 5
    assert neighbours.batch_calls == 1
    assert [p["incident_id"] for p in neighbours.escalation_posts] == [i["id"] for i in incidents]
    for incident in incidents:
        kinds = [e["event_type"] for e in (await helpers.detail(incident["id"]))["timeline"]]
        assert kinds == ["created", "escalation_started"]
        assert await helpers.jobs(incident["id"]) == []


async def test_set_based_queueing_of_starts(app: FastAPI, helpers: Any, neighbours: Any) -> None:
    created = [await helpers.create() for _ in range(3)]  # each queued its start
    ids = [uuid.UUID(i["id"]) for i in created]
    async with app.state.sessionmaker() as session, session.begin():
        rows = (await session.scalars(select(Incident).where(Incident.id.in_(ids)))).all()
        # Queued again, set-based (as correlation does for its new incidents): the dedup key holds.
        await flows.queue_escalation_starts(session, app, list(rows))
    assert await helpers.run_jobs() == 3
    assert sorted(p["incident_id"] for p in neighbours.escalation_posts) == sorted(map(str, ids))
    assert neighbours.batch_calls == 1


async def test_oncall_down_delays_the_batch_and_a_replay_pages_once(
    helpers: Any, neighbours: Any, clock: ManualClock
) -> None:
    neighbours.down.add(ONCALL)
    first, second = await helpers.create(), await helpers.create()
    await helpers.run_jobs()
    assert [job.attempts for job in await helpers.jobs(first["id"])] == [1]
    await helpers.patch(second["id"], {"status": "acknowledged"})  # before on-call is back
    neighbours.down.clear()
    clock.advance(120)
    await helpers.run_jobs()
    posted = [p["incident_id"] for p in neighbours.escalation_posts]
    assert posted == [first["id"]]  # the acknowledged one is not paged
    kinds = [e["event_type"] for e in (await helpers.detail(second["id"]))["timeline"]]
    assert "escalation_skipped" in kinds and "escalation_started" not in kinds
    assert await helpers.jobs(first["id"]) == [] and await helpers.jobs(second["id"]) == []


async def test_a_batch_oncall_refuses_is_retried_one_by_one(helpers: Any, neighbours: Any) -> None:
    neighbours.refuse_batches = True
    incidents = [await helpers.create() for _ in range(2)]
    await helpers.run_jobs()
    assert neighbours.batch_calls == 0
    assert sorted(p["incident_id"] for p in neighbours.escalation_posts) == sorted(
        i["id"] for i in incidents
    )
    for incident in incidents:
        assert await helpers.jobs(incident["id"]) == []


async def test_timeline_batch_writes_replays_and_unknown_incidents(helpers: Any) -> None:
    incident = await helpers.create()
    entry = {
        "incident_id": incident["id"],
        "event_type": "oncall_lookup",
        "actor": "oncall-escalation",
        "message": "On-call lookup, level 1: alice",
        "data": {"level": 1},
        "dedup_key": "esc:1:lookup:0",
    }
    unknown = entry | {"incident_id": str(uuid.uuid4())}
    no_key = entry | {"event_type": "note", "dedup_key": None, "message": "x" * 3000}
    response = await helpers.client.post(
        TIMELINE_BATCH, json={"entries": [entry, unknown, no_key, entry]}
    )
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == [201, 404, 201, 200]
    again = await helpers.client.post(TIMELINE_BATCH, json={"entries": [entry]})
    assert [r["status"] for r in again.json()["results"]] == [200]
    single = await helpers.client.post(
        f"/internal/v1/incidents/{incident['id']}/timeline",
        json={k: v for k, v in entry.items() if k != "incident_id"},
    )
    assert single.status_code == 200  # the single route sees the same dedup key
    timeline = (await helpers.detail(incident["id"]))["timeline"]
    written = [e for e in timeline if e["event_type"] in ("oncall_lookup", "note")]
    assert [e["event_type"] for e in written] == ["oncall_lookup", "note"]
    assert len(written[1]["message"]) == 2000
    assert written[0]["created_at"] >= incident["created_at"]


async def test_timeline_batch_refuses_bad_entries_as_a_whole(helpers: Any) -> None:
    incident = await helpers.create()
    bad = {"incident_id": incident["id"], "event_type": "Not Valid", "message": "m"}
    assert (await helpers.client.post(TIMELINE_BATCH, json={"entries": [bad]})).status_code == 422
    assert (await helpers.client.post(TIMELINE_BATCH, json={"entries": []})).status_code == 422
