"""The single-statement paths (incidents/hot_paths.py, queries.py): what one statement writes,
what it refuses, and list/stats edge cases the ORM path used to cover by construction."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from nightwatch_core.clock import ManualClock
from sqlalchemy import text

from .conftest import ONCALL


async def _timeline(helpers: Any, incident_id: str) -> list[dict[str, Any]]:
    return (await helpers.detail(incident_id))["timeline"]  # type: ignore[no-any-return]


async def test_create_writes_incident_entries_and_job_together(helpers: Any) -> None:
    incident = await helpers.create(team="payments", assignee="alice")
    entries = await _timeline(helpers, incident["id"])
    assert [(e["event_type"], e["message"], e["data"]) for e in entries] == [
        (
            "created",
            f"Incident created (high, {helpers.service}, team payments)",
            {"severity": "high", "service": helpers.service, "team": "payments"},
        ),
        ("assignee_changed", "Assigned to alice", {"from": None, "to": "alice"}),
    ]
    [job] = await helpers.jobs(incident["id"])
    assert (job.kind, job.dedup_key) == ("start_escalation", f"escalate:{incident['id']}")


async def test_idempotent_replay_writes_nothing_more(helpers: Any) -> None:
    headers = {"Idempotency-Key": f"replay-{uuid.uuid4()}"}
    body = {"title": "Disk full", "service": helpers.service, "severity": "low"}
    first = await helpers.client.post("/api/v1/incidents", json=body, headers=headers)
    again = await helpers.client.post("/api/v1/incidents", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(await _timeline(helpers, first.json()["id"])) == 1
    assert len(await helpers.jobs(first.json()["id"])) == 1


async def test_acknowledge_queues_the_stop_and_records_mtta(
    helpers: Any, neighbours: Any, clock: ManualClock
) -> None:
    incident = await helpers.create()
    await helpers.run_jobs()
    clock.advance(75)
    neighbours.down.add(ONCALL)  # the in-request stop fails: the queued job stays, due now
    response = await helpers.patch(incident["id"], {"status": "acknowledged"}, **{"X-Actor": "bo"})
    assert response.status_code == 200
    body = response.json()
    assert (body["acknowledged_by"], body["mtta_seconds"]) == ("bo", 75.0)
    assert body["updated_at"] == body["acknowledged_at"]
    [job] = await helpers.jobs(incident["id"])
    assert (job.kind, job.dedup_key) == ("stop_escalation", f"stop:{incident['id']}:acknowledged")
    assert job.run_at == clock.now()
    entry = (await _timeline(helpers, incident["id"]))[-1]
    assert (entry["event_type"], entry["actor"], entry["message"]) == (
        "status_changed",
        "bo",
        "Status open → acknowledged",
    )
    assert entry["data"] == {"from": "open", "to": "acknowledged", "mtta_seconds": 75.0}


async def test_start_work_needs_an_acknowledgement_and_queues_no_stop(helpers: Any) -> None:
    incident = await helpers.create()
    refused = await helpers.patch(incident["id"], {"status": "in_progress"})
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {
        "current_status": "open",
        "requested_status": "in_progress",
        "allowed_transitions": ["acknowledged", "resolved"],
    }
    await helpers.patch(incident["id"], {"status": "acknowledged"})
    await helpers.run_jobs()
    started = await helpers.patch(incident["id"], {"status": "in_progress"})
    assert started.status_code == 200
    assert started.json()["allowed_transitions"] == ["resolved"]
    assert await helpers.jobs(incident["id"]) == []
    entry = (await _timeline(helpers, incident["id"]))[-1]
    assert entry["data"] == {"from": "acknowledged", "to": "in_progress"}


async def test_unknown_incident_is_404_on_the_hot_path(helpers: Any) -> None:
    response = await helpers.patch(str(uuid.uuid4()), {"status": "acknowledged"})
    assert response.status_code == 404


async def test_database_refuses_a_second_entry_for_one_transition(helpers: Any) -> None:
    """The second line of defence: if the status entry exists already, the whole statement is
    undone (the incident stays open) and the answer is the 409."""
    incident = await helpers.create()
    url = f"/internal/v1/incidents/{incident['id']}/timeline"
    entry = {"event_type": "status_changed", "dedup_key": "status:acknowledged"}
    assert (await helpers.client.post(url, json=entry)).status_code == 201
    response = await helpers.patch(incident["id"], {"status": "acknowledged"})
    assert response.status_code == 409
    after = await helpers.client.get(f"/api/v1/incidents/{incident['id']}")
    assert (after.json()["status"], after.json()["acknowledged_at"]) == ("open", None)
    assert [job.kind for job in await helpers.jobs(incident["id"])] == ["start_escalation"]


async def test_page_past_the_end_still_has_the_total(helpers: Any) -> None:
    for _ in range(3):
        await helpers.create()
    response = await helpers.client.get(
        "/api/v1/incidents", params={"service": helpers.service, "offset": 10}
    )
    assert response.json() == {"items": [], "total": 3, "limit": 50, "offset": 10}


async def test_sort_by_status_and_reverse_severity(helpers: Any, clock: ManualClock) -> None:
    low = await helpers.create(severity="low")
    clock.advance(1)
    critical = await helpers.create(severity="critical")
    clock.advance(1)
    medium = await helpers.create(severity="medium")
    clock.advance(1)  # acknowledged after the last create: most recently changed
    await helpers.patch(low["id"], {"status": "acknowledged"})
    await helpers.patch(critical["id"], {"status": "resolved"})

    async def ids(**params: Any) -> list[str]:
        response = await helpers.client.get(
            "/api/v1/incidents", params={"service": helpers.service, **params}
        )
        return [item["id"] for item in response.json()["items"]]

    assert await ids(sort="status") == [medium["id"], low["id"], critical["id"]]
    assert await ids(sort="-status") == [critical["id"], low["id"], medium["id"]]
    assert await ids(sort="-severity") == [low["id"], medium["id"], critical["id"]]
    assert await ids(sort="-updated_at", status="open,acknowledged") == [low["id"], medium["id"]]


async def test_stats_counts_only_the_range(helpers: Any, app: Any, clock: ManualClock) -> None:
    """since/until become plain conditions on created_at (index-friendly); [since, until)."""
    start = clock.now()
    await helpers.create(severity="critical")
    clock.advance(60)
    inside = await helpers.create(severity="low")
    clock.advance(60)
    await helpers.patch(inside["id"], {"status": "resolved"})
    params = {
        "since": (start + timedelta(seconds=30)).isoformat(),
        "until": clock.now().isoformat(),
    }
    async with app.state.sessionmaker() as session:
        expected = await session.scalar(
            text(
                "SELECT count(*) FROM incidents.incidents WHERE created_at >= :a AND created_at < :b"
            ),
            {"a": start + timedelta(seconds=30), "b": clock.now()},
        )
    summary = (await helpers.client.get("/api/v1/incidents/stats/summary", params=params)).json()
    assert summary["total"] == expected >= 1
    assert sum(summary["by_status"].values()) == sum(summary["by_severity"].values()) == expected
    assert summary["mttr"]["count"] >= 1 and summary["mttr"]["p50_seconds"] is not None
