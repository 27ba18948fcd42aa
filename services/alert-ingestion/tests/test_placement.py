"""Placing alerts: incident-management decides each alert's incident and result; ingestion stores
the alert once with that answer, before it answers the sender."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text


async def _stored(app: Any, alert_id: str) -> Any:
    async with app.state.sessionmaker() as session:
        return (
            await session.execute(
                text(
                    "SELECT incident_id, correlation_result, received_at, linked_at, team "
                    "FROM ingestion.alerts WHERE id = :id"
                ),
                {"id": alert_id},
            )
        ).one()


async def test_alert_is_placed_by_incident_management_and_stored_with_its_answer(
    app: Any, client: Any, incidents: Any, make_alert: Any
) -> None:
    response = await client.post("/api/v1/alerts", json=make_alert(labels={"env": "production"}))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["result"], body["link_status"]) == ("new_incident", "linked")
    assert body["alert_id"] == body["id"] and len(body["fingerprint"]) == 64
    assert body["incident_id"] in incidents.incidents
    sent = incidents.incidents[body["incident_id"]]
    assert (sent["service"], sent["severity"], sent["team"]) == (
        make_alert()["service"],
        "high",
        "unrouted",
    )
    assert sent["labels"] == {"env": "production"} and sent["fingerprint"] == body["fingerprint"]
    row = await _stored(app, body["alert_id"])
    assert (str(row.incident_id), row.correlation_result) == (body["incident_id"], "new_incident")
    assert row.linked_at is not None and row.linked_at >= row.received_at
    got = (await client.get(f"/api/v1/alerts/{body['alert_id']}")).json()
    assert got["incident_id"] == body["incident_id"] and got["attached_at"] is not None

    same = make_alert(labels={"env": "production"})
    again = (await client.post("/api/v1/alerts", json=same)).json()
    other = (await client.post("/api/v1/alerts", json=make_alert(message="p99 > 2s"))).json()
    assert (again["result"], other["result"]) == ("duplicate", "correlated")
    assert again["incident_id"] == other["incident_id"] == body["incident_id"]


async def test_fifty_identical_alerts_at_once_share_calls_and_are_all_stored_and_linked(
    app: Any, client: Any, incidents: Any, make_alert: Any
) -> None:
    responses = await asyncio.gather(
        *(client.post("/api/v1/alerts", json=make_alert()) for _ in range(50))
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    results = [r.json()["result"] for r in responses]
    assert (results.count("new_incident"), results.count("duplicate")) == (1, 49)
    assert len({r.json()["incident_id"] for r in responses}) == 1
    assert incidents.calls < 50  # concurrent requests shared calls
    page = (
        await client.get(
            "/api/v1/alerts", params={"service": make_alert()["service"], "limit": 100}
        )
    ).json()
    assert len(page["items"]) == 50 and all(item["incident_id"] for item in page["items"])


async def test_a_large_batch_is_sent_in_calls_bounded_in_bytes(
    client: Any, incidents: Any, make_alert: Any
) -> None:
    labels = {f"label-{n}": "v" * 1000 for n in range(60)}
    batch = [make_alert(message=f"disk {i} full", labels=labels) for i in range(15)]
    response = await client.post("/api/v1/alerts", json=batch)
    assert response.status_code == 201, response.text[:300]
    assert response.json()["accepted"] == 15 and response.json()["pending"] == 0
    assert incidents.calls >= 2 and sum(incidents.batch_sizes) == 15


async def test_two_replicas_racing_store_every_alert_once(
    ingestion: Any, incidents: Any, make_alert: Any
) -> None:
    async with ingestion() as (_, client_a), ingestion() as (app_b, client_b):
        responses = await asyncio.gather(
            *(
                (client_a if i % 2 else client_b).post(
                    "/api/v1/alerts", json=make_alert(message=f"disk {i % 5} full")
                )
                for i in range(40)
            )
        )
        assert all(r.status_code == 201 for r in responses)
        rows = [await _stored(app_b, r.json()["alert_id"]) for r in responses]
    assert len({row.incident_id for row in rows}) == 1
    results = sorted(r.json()["result"] for r in responses)
    assert results == sorted(["new_incident"] + ["correlated"] * 4 + ["duplicate"] * 35)
