"""Retention: delivered and failed notifications past their age are removed in bounded batches;
a pending one (still being retried) is kept however old, and newer ones are never touched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

NOTIFY = "/api/v1/notify"
# Before every other test's notifications (theirs are made now): this test's passes see only its own.
LONG_AGO = datetime(2019, 3, 1, 9, 0, tzinfo=UTC)
INCIDENT = str(uuid.uuid4())


async def _ids(client: Any, status: str) -> set[str]:
    params = {"status": status, "incident_id": INCIDENT, "limit": 200}
    listed = await client.get("/api/v1/notifications", params=params)
    assert listed.status_code == 200
    return {item["id"] for item in listed.json()["items"]}


async def test_old_finished_notifications_go_and_pending_and_recent_ones_stay(
    notify_app: Any, notify_body: Any, clock: Any, drain: Any, receiver_factory: Any
) -> None:
    clock.set(LONG_AGO)
    refusing = receiver_factory(statuses=[500])
    settings = {
        "retention_batch_size": 7,
        "retention_pause_seconds": 0,
        "notify_max_attempts": 1,
        "webhook_secret": "test-webhook-secret",
    }
    async with notify_app(**settings) as (app, client):

        def body(**fields: Any) -> dict[str, Any]:
            return dict(notify_body(incident_id=INCIDENT, **fields))

        for _ in range(20):  # delivered, old by the end
            await client.post(NOTIFY, json=body())
        await drain(app)
        # Failed for good (one attempt, refused by the receiver): old by the end too.
        bad = body(channel="webhook", recipient=refusing.url)
        failed = (await client.post(NOTIFY, json=bad)).json()["id"]
        await drain(app)
        assert await _ids(client, "failed") == {failed}
        # Pending: retried for ever in the test's eyes (worker off), and old by the end.
        pending = (await client.post(NOTIFY, json=body())).json()["id"]

        clock.advance(timedelta(days=170))
        recent = {(await client.post(NOTIFY, json=body())).json()["id"] for _ in range(3)}
        clock.advance(timedelta(days=11))  # the first 22 are now 181 days old, the 3 are 11

        [task] = app.state.retention.tasks
        removed = await app.state.retention.run_pass(app, task)

        assert removed == 21  # 20 delivered + 1 failed, over four batches of at most 7
        assert await _ids(client, "delivered") == set()
        assert await _ids(client, "failed") == set()
        # A pending notification is still owed to someone: never removed; recent ones stay.
        assert await _ids(client, "pending") == {pending, *recent}
        await drain(app)  # and the old pending one is still delivered
        assert (await client.get(f"/api/v1/notifications/{pending}")).json()["attempts"] == 1
        # Delivered now, and past its age: the next pass removes it, and only it.
        assert await app.state.retention.run_pass(app, task) == 1
        assert await _ids(client, "delivered") == recent  # delivered by the same drain, recent
