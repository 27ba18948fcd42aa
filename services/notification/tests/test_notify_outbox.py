"""The outbox's leased batches: a storm costs statements per batch, a claimed notification is
nobody else's until its lease ends, a crashed claim is retried after it, and a sender that
outlived its lease cannot overwrite a later attempt."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from nightwatch_core.testing.statements import counted_pool_statements
from nightwatch_notify.notifications import outbox

NOTIFY = "/api/v1/notify"


async def _status(client: Any, notification_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/notifications/{notification_id}")
    assert response.status_code == 200
    return dict(response.json())


async def test_a_storm_of_pages_costs_statements_per_batch_not_per_page(
    notify_app: Any, notify_body: Any
) -> None:
    async with notify_app(notify_batch_size=50) as (app, client):
        incident = str(uuid.uuid4())
        for _ in range(120):
            await client.post(NOTIFY, json=notify_body(incident_id=incident))
        with counted_pool_statements(app) as statements:
            delivered = await app.state.delivery.run_due(app)
        assert delivered == 120
        params = {"incident_id": incident, "status": "delivered", "limit": 1}
        listed = await client.get("/api/v1/notifications", params=params)
        assert listed.json()["total"] == 120
        # Per batch of 50: one claim and, for mock sends completing together, a few records;
        # one transaction per page would be 240 statements or more.
        assert len(statements) <= 30, len(statements)


async def test_a_claimed_notification_is_nobody_elses_until_its_lease_ends(
    notify_app: Any, notify_body: Any, clock: Any
) -> None:
    async with notify_app() as (app, client):
        created = (await client.post(NOTIFY, json=notify_body())).json()
        worker = app.state.delivery
        # A worker claims it and dies before sending (or before recording).
        async with app.state.db_pool.acquire() as conn:
            [claimed] = await outbox.claim(conn, now=clock.now(), lease=worker.lease, limit=10)
        assert await worker.run_due(app) == 0  # leased: not due for anyone else
        assert (await _status(client, created["id"]))["status"] == "pending"

        clock.advance(worker.lease.total_seconds())
        assert await worker.run_due(app) == 1  # the lease ended: delivered by the next claim
        done = await _status(client, created["id"])
        assert done["status"] == "delivered" and done["attempts"] == 1

        # The first claimer comes back late and records a failure: the fence refuses it.
        stale = outbox.outcome(
            claimed, "late failure", retry_after=timedelta(seconds=5), now=clock.now()
        )
        async with app.state.db_pool.acquire() as conn:
            await outbox.record(conn, attempts=[stale], now=clock.now())
        after = await _status(client, created["id"])
        assert after["status"] == "delivered" and after["attempts"] == 1
        assert after["last_error"] is None
