"""Correlation: new incident, correlated, duplicate, window, resolve, team, concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text


async def _incident_of(app: Any, alert_id: str) -> Any:
    async with app.state.sessionmaker() as session:
        return (
            await session.execute(
                text("SELECT incident_id FROM ingestion.alerts WHERE id = :id"), {"id": alert_id}
            )
        ).scalar()


async def test_first_alert_opens_an_incident_through_incident_management(
    client: Any, incidents: Any, make_alert: Any
) -> None:
    response = await client.post("/api/v1/alerts", json=make_alert(labels={"env": "production"}))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["result"] == "new_incident"
    assert body["link_status"] == "linked"
    assert body["alert_id"] == body["id"]
    assert len(body["fingerprint"]) == 64
    assert body["incident_id"] in incidents.incidents
    created = incidents.incidents[body["incident_id"]]
    assert created["service"] == make_alert()["service"]
    assert created["severity"] == "high"
    assert created["team"] == "default"
    assert incidents.creators[body["incident_id"]] == "alert-ingestion"  # the timeline's actor
    assert "HTTP 5xx error rate" in created["title"]


async def test_same_service_and_severity_correlates_and_same_fingerprint_is_duplicate(
    client: Any, incidents: Any, make_alert: Any
) -> None:
    first = (await client.post("/api/v1/alerts", json=make_alert())).json()
    other = await client.post("/api/v1/alerts", json=make_alert(message="Latency p99 > 2s"))
    again = await client.post("/api/v1/alerts", json=make_alert())
    assert other.status_code == again.status_code == 201
    assert other.json()["result"] == "correlated"
    assert again.json()["result"] == "duplicate"
    assert again.json()["fingerprint"] == first["fingerprint"]
    assert {first["incident_id"], other.json()["incident_id"], again.json()["incident_id"]} == {
        first["incident_id"]
    }
    assert incidents.keys and len(incidents.incidents) == 1


async def test_other_severity_or_service_opens_its_own_incident(
    client: Any, make_alert: Any
) -> None:
    high = (await client.post("/api/v1/alerts", json=make_alert())).json()
    low = (await client.post("/api/v1/alerts", json=make_alert(severity="low"))).json()
    elsewhere = (
        await client.post("/api/v1/alerts", json=make_alert(service="other-" + high["id"][:8]))
    ).json()
    assert low["result"] == elsewhere["result"] == "new_incident"
    assert len({high["incident_id"], low["incident_id"], elsewhere["incident_id"]}) == 3


async def test_alert_after_the_window_opens_a_new_incident(
    client: Any, clock: Any, make_alert: Any
) -> None:
    first = (await client.post("/api/v1/alerts", json=make_alert())).json()
    clock.advance(299)
    inside = (await client.post("/api/v1/alerts", json=make_alert(message="still bad"))).json()
    assert inside["result"] == "correlated" and inside["incident_id"] == first["incident_id"]
    clock.advance(299)  # 299 s after the latest alert: still inside
    again = (await client.post("/api/v1/alerts", json=make_alert(message="worse"))).json()
    assert again["incident_id"] == first["incident_id"]
    clock.advance(301)
    later = (await client.post("/api/v1/alerts", json=make_alert())).json()
    assert later["result"] == "new_incident"
    assert later["incident_id"] != first["incident_id"]


async def test_correlation_window_is_configurable(
    ingestion: Any, clock: Any, make_alert: Any
) -> None:
    async with ingestion(correlation_window_seconds=60) as (_, client):
        first = (await client.post("/api/v1/alerts", json=make_alert())).json()
        clock.advance(61)
        later = (await client.post("/api/v1/alerts", json=make_alert())).json()
    assert later["result"] == "new_incident"
    assert later["incident_id"] != first["incident_id"]


async def test_resolved_incident_event_makes_the_next_alert_open_a_new_incident(
    client: Any, make_alert: Any
) -> None:
    first = (await client.post("/api/v1/alerts", json=make_alert())).json()
    ack = await client.post(
        "/internal/v1/incident-events",
        json={"incident_id": first["incident_id"], "status": "acknowledged"},
    )
    assert ack.status_code == 200 and ack.json()["closed_groups"] == 0
    still = (await client.post("/api/v1/alerts", json=make_alert())).json()
    assert still["result"] == "duplicate" and still["incident_id"] == first["incident_id"]
    resolved = await client.post(
        "/internal/v1/incident-events",
        json={"incident_id": first["incident_id"], "status": "resolved"},
    )
    assert resolved.status_code == 200 and resolved.json()["closed_groups"] == 1
    again = await client.post(
        "/internal/v1/incident-events",
        json={"incident_id": first["incident_id"], "status": "resolved"},
    )
    assert again.json()["closed_groups"] == 0  # idempotent
    after = (await client.post("/api/v1/alerts", json=make_alert())).json()
    assert after["result"] == "new_incident"
    assert after["incident_id"] != first["incident_id"]


async def test_team_comes_from_label_then_service_map_then_default(
    ingestion: Any, incidents: Any, service_name: str
) -> None:
    mapped = service_name + "-mapped"
    async with ingestion(service_team_map={mapped: "payments"}) as (_, client):
        labelled = await client.post(
            "/api/v1/alerts",
            json={
                "service": service_name,
                "severity": "low",
                "message": "m",
                "labels": {"team": "sre"},
            },
        )
        by_map = await client.post(
            "/api/v1/alerts", json={"service": mapped, "severity": "low", "message": "m"}
        )
        fallback = await client.post(
            "/api/v1/alerts",
            json={"service": service_name + "-x", "severity": "low", "message": "m"},
        )
    teams = [
        incidents.incidents[r.json()["incident_id"]]["team"] for r in (labelled, by_map, fallback)
    ]
    assert teams == ["sre", "payments", "default"]


async def test_fifty_identical_alerts_at_once_give_one_incident_all_stored_and_linked(
    app: Any, client: Any, incidents: Any, make_alert: Any
) -> None:
    from nightwatch_ingestion.alerts.workers import link_once

    responses = await asyncio.gather(
        *(client.post("/api/v1/alerts", json=make_alert()) for _ in range(50))
    )
    assert all(r.status_code in (201, 202) for r in responses), [r.text for r in responses]
    results = [r.json()["result"] for r in responses]
    assert results.count("new_incident") == 1
    assert results.count("duplicate") == 49
    await link_once(app)  # alerts that joined while the incident was being opened get its id
    incident_ids = {await _incident_of(app, r.json()["alert_id"]) for r in responses}
    assert len(incident_ids) == 1 and None not in incident_ids
    assert len(incidents.incidents) == 1
    page = (
        await client.get(
            "/api/v1/alerts", params={"service": make_alert()["service"], "limit": 100}
        )
    ).json()
    assert len(page["items"]) == 50


async def test_two_replicas_racing_open_exactly_one_incident(
    ingestion: Any, incidents: Any, make_alert: Any
) -> None:
    from nightwatch_ingestion.alerts.workers import link_once

    async with ingestion() as (app_a, client_a), ingestion() as (app_b, client_b):
        responses = await asyncio.gather(
            *(
                (client_a if i % 2 else client_b).post(
                    "/api/v1/alerts", json=make_alert(message=f"disk {i % 5} full")
                )
                for i in range(40)
            )
        )
        assert all(r.status_code in (201, 202) for r in responses)
        await link_once(app_a)
        ids = {await _incident_of(app_b, r.json()["alert_id"]) for r in responses}
    results = [r.json()["result"] for r in responses]
    assert results.count("new_incident") == 1
    assert results.count("correlated") == 4  # five distinct messages: 1 new + 4 correlated
    assert results.count("duplicate") == 35
    assert len(ids) == 1 and None not in ids
    assert len(incidents.incidents) == 1
