"""Durable side effects: paging on-call, stopping it on ack/resolve, telling ingestion; outages."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from nightwatch_core.clock import ManualClock

from .conftest import INGESTION, ONCALL


async def test_new_incident_starts_the_escalation_at_oncall(helpers: Any, neighbours: Any) -> None:
    incident = await helpers.create(team="payments")
    assert await helpers.run_jobs() >= 1
    assert neighbours.escalations[incident["id"]] == {
        "incident_id": incident["id"],
        "team": "payments",
        "title": incident["title"],
        "service": helpers.service,
        "severity": "high",
    }
    assert await helpers.jobs(incident["id"]) == []
    kinds = [e["event_type"] for e in (await helpers.detail(incident["id"]))["timeline"]]
    assert kinds == ["created", "escalation_started"]


async def test_oncall_down_incident_still_created_and_page_retried_later(
    helpers: Any, neighbours: Any, clock: ManualClock
) -> None:
    neighbours.down.add(ONCALL)
    incident = await helpers.create()
    assert incident["status"] == "open"
    await helpers.run_jobs()
    [job] = await helpers.jobs(incident["id"])
    assert (job.kind, job.attempts, job.dead_at) == ("start_escalation", 1, None)
    clock.advance(30)
    await helpers.run_jobs()
    assert (await helpers.jobs(incident["id"]))[0].attempts == 2
    assert incident["id"] not in neighbours.escalations

    neighbours.down.clear()
    clock.advance(120)
    await helpers.run_jobs()
    assert neighbours.escalations[incident["id"]]["incident_id"] == incident["id"]
    assert [p["incident_id"] for p in neighbours.escalation_posts].count(incident["id"]) == 1
    assert await helpers.jobs(incident["id"]) == []


async def test_acknowledge_stops_the_escalation_before_answering(
    helpers: Any, neighbours: Any
) -> None:
    incident = await helpers.create()
    await helpers.run_jobs()
    response = await helpers.patch(
        incident["id"], {"status": "acknowledged"}, **{"X-Actor": "alice"}
    )
    assert response.status_code == 200
    assert neighbours.stops_for(incident["id"]) == [
        {"incident_id": incident["id"], "reason": "acknowledged", "actor": "alice"}
    ]
    assert await helpers.jobs(incident["id"]) == []  # the queued fallback was dropped


async def test_oncall_down_at_ack_the_stop_is_retried_durably(
    helpers: Any, neighbours: Any, clock: ManualClock
) -> None:
    incident = await helpers.create()
    await helpers.run_jobs()
    neighbours.down.add(ONCALL)
    response = await helpers.patch(incident["id"], {"status": "acknowledged"})
    assert response.status_code == 200
    [job] = await helpers.jobs(incident["id"])
    assert job.kind == "stop_escalation" and job.run_at <= clock.now()
    await helpers.run_jobs()
    assert neighbours.stops_for(incident["id"]) == []
    neighbours.down.clear()
    clock.advance(60)
    await helpers.run_jobs()
    assert [s["reason"] for s in neighbours.stops_for(incident["id"])] == ["acknowledged"]
    assert await helpers.jobs(incident["id"]) == []


async def test_resolve_stops_paging_and_needs_no_call_to_ingestion(
    helpers: Any, neighbours: Any
) -> None:
    """Correlation lives here: the resolve closes the alert group in its own transaction, so
    ingestion being down at that moment changes nothing."""
    neighbours.down.add(INGESTION)
    incident = await helpers.create()
    await helpers.run_jobs()
    await helpers.patch(incident["id"], {"status": "resolved"})
    assert [s["reason"] for s in neighbours.stops_for(incident["id"])] == ["resolved"]
    await helpers.run_jobs()
    assert await helpers.jobs(incident["id"]) == []


async def test_incident_acknowledged_before_oncall_came_back_is_not_paged(
    helpers: Any, neighbours: Any, clock: ManualClock
) -> None:
    neighbours.down.add(ONCALL)
    incident = await helpers.create()
    await helpers.run_jobs()
    await helpers.patch(incident["id"], {"status": "acknowledged"})
    neighbours.down.clear()
    clock.advance(600)
    await helpers.run_jobs()
    assert incident["id"] not in neighbours.escalations
    assert await helpers.jobs(incident["id"]) == []
    kinds = [e["event_type"] for e in (await helpers.detail(incident["id"]))["timeline"]]
    assert "escalation_skipped" in kinds


async def test_detail_includes_the_newest_alerts_from_ingestion_and_pages_the_rest(
    helpers: Any, neighbours: Any
) -> None:
    incident = await helpers.create()
    neighbours.alerts[incident["id"]] = [{"id": f"a{n}", "message": "boom"} for n in range(120)]
    detail = await helpers.detail(incident["id"])
    assert detail["alerts_source"] == "ingestion"
    assert [a["id"] for a in detail["alerts"]] == [f"a{n}" for n in range(50)]
    seen = [a["id"] for a in detail["alerts"]]
    cursor = detail["alerts_next_cursor"]
    while cursor is not None:
        page = await helpers.client.get(
            f"/api/v1/incidents/{incident['id']}/alerts", params={"cursor": cursor, "limit": 50}
        )
        assert page.status_code == 200, page.text
        seen += [a["id"] for a in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        assert len(seen) <= 120
    assert seen == [f"a{n}" for n in range(120)]


async def test_detail_without_ingestion_still_shows_the_incident(
    helpers: Any, neighbours: Any
) -> None:
    incident = await helpers.create()
    neighbours.down.add(INGESTION)
    detail = await helpers.detail(incident["id"])
    assert (detail["alerts_source"], detail["alerts"], detail["alerts_next_cursor"]) == (
        "unavailable",
        [],
        None,
    )
    page = await helpers.client.get(f"/api/v1/incidents/{incident['id']}/alerts")
    assert page.status_code == 503 and page.json()["error"]["code"] == "alerts_unavailable"
    unknown = await helpers.client.get(f"/api/v1/incidents/{uuid.uuid4()}/alerts")
    assert unknown.status_code == 404


async def test_concurrent_acknowledges_share_their_calls_to_oncall(
    helpers: Any, neighbours: Any
) -> None:
    """Each ack still waits for its stop, but the stops of acks in flight together go to on-call
    in one call (its batch route), and every queued fallback job is dropped."""
    incidents = [await helpers.create() for _ in range(20)]
    await helpers.run_jobs()
    answers = await asyncio.gather(
        *(helpers.patch(i["id"], {"status": "acknowledged"}) for i in incidents)
    )
    assert [a.status_code for a in answers] == [200] * 20
    for incident in incidents:
        assert [s["reason"] for s in neighbours.stops_for(incident["id"])] == ["acknowledged"]
        assert await helpers.jobs(incident["id"]) == []
    assert 1 <= neighbours.stop_batch_calls < 20


async def test_an_oncall_without_the_batch_stop_route_gets_one_stop_per_call(
    helpers: Any, neighbours: Any, clock: ManualClock
) -> None:
    """A rolling deploy: on-call's old version answers the batch route 404."""
    neighbours.without_stop_batches = True
    incidents = [await helpers.create() for _ in range(3)]
    await helpers.run_jobs()
    await asyncio.gather(*(helpers.patch(i["id"], {"status": "resolved"}) for i in incidents))
    for incident in incidents:
        assert [s["reason"] for s in neighbours.stops_for(incident["id"])] == ["resolved"]
        assert await helpers.jobs(incident["id"]) == []
    assert neighbours.stop_batch_calls == 0
