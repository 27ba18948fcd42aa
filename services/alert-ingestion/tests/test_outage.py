"""Nothing accepted is lost: incident-management down, slow, failing or refusing; ingestion
restarted; the database cut off."""

from __future__ import annotations

import asyncio
from typing import Any

from nightwatch_core.clock import SystemClock
from nightwatch_ingestion.alerts.workers import LINK_BATCHES, link_once
from sqlalchemy import text


async def _alerts(app: Any, service: str) -> list[Any]:
    async with app.state.sessionmaker() as session:
        return (
            await session.execute(
                text(
                    "SELECT a.id, a.incident_id, a.linked_at, a.correlation_result, q.batch_id, "
                    "q.dead_at, q.last_error FROM ingestion.alerts a "
                    "LEFT JOIN ingestion.link_queue q ON q.alert_id = a.id "
                    "WHERE a.service = :service ORDER BY a.received_at, a.id"
                ),
                {"service": service},
            )
        ).all()


async def _backlog(client: Any) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    metrics = (await client.get("/metrics")).text
    [family] = [
        f for f in text_string_to_metric_families(metrics) if f.name == "alerts_link_backlog"
    ]
    return float(family.samples[0].value)


async def _drain(app: Any, clock: Any) -> None:
    """Run the link worker until nothing is left to do (bounded), moving the clock past backoffs."""
    for _ in range(30):
        clock.advance(120)
        handled, unreachable = await link_once(app)
        if not unreachable and handled == 0:
            return
    raise AssertionError("the link worker never finished")


async def test_incident_management_down_answers_202_and_the_worker_links_later(
    app: Any, client: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    await incidents.stop()
    first = await client.post("/api/v1/alerts", json=make_alert())
    second = await client.post("/api/v1/alerts", json=make_alert(message="also"))
    assert first.status_code == second.status_code == 202
    assert first.json()["incident_id"] is None and first.json()["result"] is None
    assert first.json()["link_status"] == "pending"
    assert await _backlog(client) >= 2
    handled, unreachable = await link_once(app)  # still down: retried later, nothing lost
    assert (handled, unreachable) == (0, True)
    rows = await _alerts(app, service_name)
    assert all(row.incident_id is None and row.batch_id for row in rows)

    await incidents.start()
    await _drain(app, clock)
    rows = await _alerts(app, service_name)
    assert len(rows) == 2 and len({row.incident_id for row in rows}) == 1
    assert [row.correlation_result for row in rows] == ["new_incident", "correlated"]
    assert all(row.linked_at and row.batch_id is None for row in rows)  # off the queue
    got = (await client.get(f"/api/v1/alerts/{first.json()['alert_id']}")).json()
    assert got["incident_id"] == str(rows[0].incident_id) and got["attached_at"] is not None
    assert await _backlog(client) == 0


async def test_slow_incident_management_times_out_to_202_and_the_resend_is_not_counted_twice(
    app: Any, client: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    incidents.mode = "slow"
    incidents.slow_seconds = 1.5  # longer than the 0.5 s the test app waits
    response = await client.post("/api/v1/alerts", json=make_alert())
    assert response.status_code == 202
    # The slow call placed the alert on the server side (the stand-in places, then sleeps).
    incidents.mode = "up"
    await _drain(app, clock)
    [row] = await _alerts(app, service_name)
    # The worker sent the same batch id: incident-management replayed its first answer.
    assert row.correlation_result == "new_incident"
    assert str(row.incident_id) == incidents.placed[response.json()["alert_id"]]
    assert len(incidents.answers) == 1


async def test_failing_incident_management_503_is_retried(
    app: Any, client: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    incidents.mode = "failing"
    assert (await client.post("/api/v1/alerts", json=make_alert())).status_code == 202
    assert (await link_once(app))[1] is True
    incidents.mode = "up"
    await _drain(app, clock)
    [row] = await _alerts(app, service_name)
    assert row.incident_id is not None and row.linked_at is not None


async def test_a_batch_refused_for_good_is_kept_dead_not_dropped(
    app: Any, client: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    incidents.mode = "refusing"
    response = await client.post("/api/v1/alerts", json=[make_alert(), make_alert(message="b")])
    assert response.status_code == 202 and response.json()["pending"] == 2
    await _drain(app, clock)
    rows = await _alerts(app, service_name)
    assert len(rows) == 2
    assert all(row.incident_id is None and row.dead_at is not None for row in rows)
    assert all("422" in row.last_error for row in rows)
    assert await _backlog(client) == 0  # dead alerts are not waiting any more


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
        app.state.link_worker.wake()
        for _ in range(100):  # bounded wait for the background worker
            rows = await _alerts(app, service_name)
            if all(row.linked_at for row in rows):
                break
            await asyncio.sleep(0.05)
    assert {row.id.hex for row in rows} == {a["alert_id"].replace("-", "") for a in accepted}
    assert all(row.incident_id is not None and row.linked_at for row in rows)
    assert len({row.incident_id for row in rows}) == 1


async def test_database_down_is_503_never_500_and_recovers(
    ingestion: Any, database_url: str, make_alert: Any
) -> None:
    from nightwatch_core.testing.tcp_proxy import TcpProxy

    proxy = TcpProxy(database_url)
    await proxy.start()
    async with ingestion(database_url=proxy.url_for(database_url)) as (_, client):
        assert (await client.post("/api/v1/alerts", json=make_alert())).status_code == 201
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


async def test_after_an_outage_the_whole_backlog_is_due_at_once(
    app: Any, client: Any, incidents: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    """During the outage each retry pushes its batch back (capped backoff); the first answer
    after it makes all of them due again, so no batch waits out its backoff (issue #12, 5)."""
    await incidents.stop()
    for index in range(LINK_BATCHES + 5):  # more batches than one round claims
        posted = await client.post("/api/v1/alerts", json=make_alert(message=f"m{index}"))
        assert posted.status_code == 202
    for _ in range(LINK_BATCHES):  # a long outage: the worker retries every few seconds
        clock.advance(2)
        assert await link_once(app) == (0, True)

    await incidents.start()
    recovering = True
    for _ in range(10):  # rounds back to back, as the worker runs them; the clock stands still
        handled, unreachable = await link_once(app, recovering=recovering)
        assert not unreachable
        recovering = False
        if handled == 0:
            break
    rows = await _alerts(app, service_name)
    assert len(rows) == LINK_BATCHES + 5
    assert [row for row in rows if row.incident_id is None] == []


async def test_the_running_worker_links_the_backlog_soon_after_incident_management_returns(
    ingestion: Any, incidents: Any, make_alert: Any, service_name: str
) -> None:
    """The real worker loop: after five failed retries the old backoff waited 16 s before the
    next; the retry interval is now capped (LINK_RETRY_MAX_SECONDS): linked within seconds."""
    await incidents.stop()
    async with ingestion(workers_enabled=True, clock=SystemClock()) as (app, client):
        posted = await client.post("/api/v1/alerts", json=make_alert())
        assert posted.status_code == 202
        for _ in range(600):  # bounded: 30 s for five failed retries
            if await _max_attempts(app) >= 5:
                break
            await asyncio.sleep(0.05)
        assert await _max_attempts(app) >= 5
        await incidents.start()
        for _ in range(100):  # the bound: 5 s after incident-management is back
            rows = await _alerts(app, service_name)
            if all(row.incident_id is not None for row in rows):
                break
            await asyncio.sleep(0.05)
        assert [row for row in rows if row.incident_id is None] == []


async def _max_attempts(app: Any) -> int:
    async with app.state.sessionmaker() as session:
        value = await session.scalar(text("SELECT max(attempts) FROM ingestion.link_queue"))
    return int(value or 0)
