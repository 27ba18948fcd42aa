"""Nothing accepted is lost: incident-management down, slow or failing; ingestion restarted."""

from __future__ import annotations

import asyncio
from typing import Any

from nightwatch_ingestion.alerts.workers import attach_once, link_once
from sqlalchemy import text


async def _alerts(app: Any, service: str) -> list[Any]:
    async with app.state.sessionmaker() as session:
        return (
            await session.execute(
                text(
                    "SELECT id, incident_id, d.attached_at, correlation_result "
                    "FROM ingestion.alerts a "
                    "LEFT JOIN ingestion.alert_deliveries d ON d.alert_id = a.id "
                    "WHERE service = :service ORDER BY received_at"
                ),
                {"service": service},
            )
        ).all()


async def _drain(app: Any, clock: Any) -> None:
    """Run both workers until nothing is left to do (bounded), moving the clock past backoffs."""
    for _ in range(30):
        clock.advance(120)
        await link_once(app)
        handled, failed = await attach_once(app)
        if not failed and handled == 0:
            return


async def test_incident_management_down_answers_202_and_the_worker_links_later(
    app: Any, client: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    await incidents.stop()
    first = await client.post("/api/v1/alerts", json=make_alert())
    second = await client.post("/api/v1/alerts", json=make_alert(message="also"))
    assert first.status_code == second.status_code == 202
    assert first.json()["result"] == "new_incident" and first.json()["incident_id"] is None
    assert first.json()["link_status"] == "pending"
    assert second.json()["result"] == "correlated"
    await link_once(app)  # still down: retried later, nothing lost
    assert all(row.incident_id is None for row in await _alerts(app, service_name))

    await incidents.start()
    await _drain(app, clock)
    rows = await _alerts(app, service_name)
    assert len(rows) == 2 and len({row.incident_id for row in rows}) == 1
    assert rows[0].incident_id is not None and all(row.attached_at for row in rows)
    assert len(incidents.incidents) == 1
    assert set(incidents.attached) == {str(row.id) for row in rows}
    got = (await client.get(f"/api/v1/alerts/{first.json()['alert_id']}")).json()
    assert got["incident_id"] == str(rows[0].incident_id)


async def test_slow_incident_management_times_out_to_202_without_a_second_incident(
    app: Any, client: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    incidents.mode = "slow"
    incidents.slow_seconds = 1.5  # longer than the 0.5 s the test app waits
    response = await client.post("/api/v1/alerts", json=make_alert())
    assert response.status_code == 202
    await asyncio.sleep(1.2)  # let the slow call complete on the server side (it did create one)
    incidents.mode = "up"
    await _drain(app, clock)
    rows = await _alerts(app, service_name)
    # The retry carried the same Idempotency-Key: the incident the slow call made is reused.
    assert len(incidents.incidents) == 1
    assert str(rows[0].incident_id) in incidents.incidents


async def test_failing_incident_management_503_is_retried(
    app: Any, client: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    incidents.mode = "failing"
    assert (await client.post("/api/v1/alerts", json=make_alert())).status_code == 202
    await link_once(app)
    incidents.mode = "up"
    await _drain(app, clock)
    rows = await _alerts(app, service_name)
    assert rows[0].incident_id is not None and rows[0].attached_at is not None


async def test_attach_waits_while_incident_management_is_down_then_sends_everything(
    app: Any, client: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    batch = [make_alert(message=f"m{i % 4}") for i in range(250)]
    response = await client.post("/api/v1/alerts", json=batch)
    assert response.status_code == 201
    await incidents.stop()
    attached, failed = await attach_once(app)
    assert failed and attached == 0
    await incidents.start()
    await _drain(app, clock)
    assert len(incidents.attached) == 250
    results = [item["result"] for item in incidents.attached.values()]
    assert results.count("new_incident") == 1 and results.count("correlated") == 3
    assert results.count("duplicate") == 246
    assert all(row.attached_at for row in await _alerts(app, service_name))


async def test_killing_ingestion_between_accept_and_link_loses_nothing(
    ingestion: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    await incidents.stop()
    async with ingestion() as (_, client):
        accepted = [
            (await client.post("/api/v1/alerts", json=make_alert(message=f"m{i}"))).json()
            for i in range(5)
        ]
    # That process is gone; a new one (say, after a crash and restart) picks the work up.
    await incidents.start()
    async with ingestion(workers_enabled=True, worker_poll_seconds=0.05) as (app, client):
        clock.advance(120)
        app.state.link_wake.set()
        for _ in range(100):  # bounded wait for the background workers
            rows = await _alerts(app, service_name)
            if all(row.attached_at for row in rows):
                break
            await asyncio.sleep(0.05)
    assert {row.id.hex for row in rows} == {a["alert_id"].replace("-", "") for a in accepted}
    assert all(row.incident_id is not None and row.attached_at for row in rows)
    assert len(incidents.incidents) == 1


async def test_refused_attachment_is_kept_dead_not_dropped(
    app: Any, client: Any, incidents: Any, make_alert: Any, service_name: str
) -> None:
    posted = (await client.post("/api/v1/alerts", json=make_alert())).json()
    incidents.incidents.pop(posted["incident_id"])  # incident-management no longer knows it: 404
    await attach_once(app)
    async with app.state.sessionmaker() as session:
        row = (
            await session.execute(
                text(
                    "SELECT attached_at, dead_at, error FROM ingestion.alert_deliveries "
                    "WHERE alert_id = :id"
                ),
                {"id": posted["alert_id"]},
            )
        ).one()
    assert row.attached_at is None and row.dead_at is not None
    assert "404" in row.error


async def test_database_down_is_503_never_500_and_recovers(
    ingestion: Any, database_url: str, make_alert: Any
) -> None:
    from nightwatch_core.testing.tcp_proxy import TcpProxy

    proxy = TcpProxy(database_url)
    await proxy.start()
    async with ingestion(database_url=proxy.url_for(database_url)) as (_, client):
        assert (await client.post("/api/v1/alerts", json=make_alert())).status_code == 201
        fast = await client.post("/api/v1/alerts", json=make_alert(message="joins: one statement"))
        assert fast.status_code == 201 and fast.json()["result"] == "correlated"
        await proxy.cut()
        single = await client.post("/api/v1/alerts", json=make_alert(message="db down"))
        batch = await client.post("/api/v1/alerts", json=[make_alert(severity="low")])
        listing = await client.get("/api/v1/alerts")
        assert single.status_code == batch.status_code == listing.status_code == 503
        assert single.json()["error"]["code"] == "database_unavailable"
        await proxy.restore()
        again = await client.post("/api/v1/alerts", json=make_alert(message="db back"))
        assert again.status_code == 201 and again.json()["result"] == "correlated"
    await proxy.cut()


async def test_a_batch_opening_more_incidents_than_it_creates_inline_leaves_the_rest_due_now(
    ingestion: Any, incidents: Any, make_alert: Any
) -> None:
    async with ingestion(inline_incident_creates=2) as (app, client):
        batch = [make_alert(service=f"{make_alert()['service']}-{i}") for i in range(5)]
        response = await client.post("/api/v1/alerts", json=batch)
        assert response.status_code == 202  # three of the five incidents are still to open
        body = response.json()
        assert body["pending"] == 3 and len(incidents.incidents) == 2
        # The clock has not moved: without the fix the worker waited out the inline grace.
        await link_once(app)
        assert len(incidents.incidents) == 5
        for alert in batch:
            assert all(row.incident_id for row in await _alerts(app, alert["service"]))
