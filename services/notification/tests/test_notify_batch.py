"""POST /internal/v1/notifications/batch: many pages in one call, each as /api/v1/notify takes it."""

from __future__ import annotations

import uuid
from typing import Any

BATCH = "/internal/v1/notifications/batch"


async def test_a_batch_is_stored_in_order_and_each_delivered_once(
    notify_app: Any, notify_body: Any, drain: Any
) -> None:
    incident = str(uuid.uuid4())
    keys = [f"page:{incident}:{n}" for n in range(3)]
    items = [notify_body(incident_id=incident, idempotency_key=key) for key in keys]
    async with notify_app() as (app, client):
        response = await client.post(BATCH, json={"notifications": items})
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == [202, 202, 202]
        assert not any(r["replayed"] for r in results)
        await drain(app)
        for key, result in zip(keys, results, strict=True):
            read = (await client.get(f"/api/v1/notifications/{result['id']}")).json()
            assert read["idempotency_key"] == key and read["status"] == "delivered"
        delivered = [n for n in app.state.channels["mock"].delivered if n.incident_id]
        assert sorted(str(n.id) for n in delivered if str(n.incident_id) == incident) == sorted(
            r["id"] for r in results
        )


async def test_replaying_a_batch_returns_the_same_notifications_and_sends_nothing_again(
    notify_app: Any, notify_body: Any, drain: Any
) -> None:
    incident = str(uuid.uuid4())
    items = [notify_body(incident_id=incident, idempotency_key=f"k:{incident}:{n}") for n in (1, 2)]
    async with notify_app() as (app, client):
        first = (await client.post(BATCH, json={"notifications": items})).json()["results"]
        await drain(app)
        # A retry after a lost answer, with one page the first call did not have.
        extra = notify_body(incident_id=incident, idempotency_key=f"k:{incident}:3")
        again = await client.post(BATCH, json={"notifications": [*items, extra]})
        results = again.json()["results"]
        assert [r["id"] for r in results[:2]] == [r["id"] for r in first]
        assert [r["replayed"] for r in results] == [True, True, False]
        # The single route agrees: the same key is the same notification.
        single = await client.post("/api/v1/notify", json=items[0])
        assert single.json()["id"] == first[0]["id"]
        await drain(app)
        listed = await client.get("/api/v1/notifications", params={"incident_id": incident})
        assert listed.json()["total"] == 3
        mock = app.state.channels["mock"].delivered
        assert len([n for n in mock if str(n.incident_id) == incident]) == 3


async def test_a_refused_item_does_not_hold_back_the_others(
    notify_app: Any, notify_body: Any
) -> None:
    incident = str(uuid.uuid4())
    items = [
        notify_body(incident_id=incident, idempotency_key=f"a:{incident}"),
        notify_body(channel="pigeon", idempotency_key=f"b:{incident}"),
        notify_body(subject="", idempotency_key=f"c:{incident}"),
        notify_body(incident_id=incident, idempotency_key=f"d:{incident}"),
    ]
    async with notify_app() as (_, client):
        response = await client.post(BATCH, json={"notifications": items})
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == [202, 422, 422, 202]
        assert results[1]["error"]["code"] == "unknown_channel"
        assert results[2]["error"]["code"] == "validation_error"
        listed = await client.get("/api/v1/notifications", params={"incident_id": incident})
        assert listed.json()["total"] == 2


async def test_an_empty_or_oversized_batch_is_a_422(notify_app: Any, notify_body: Any) -> None:
    async with notify_app() as (_, client):
        assert (await client.post(BATCH, json={"notifications": []})).status_code == 422
        too_many = {"notifications": [notify_body()] * 501}
        assert (await client.post(BATCH, json=too_many)).status_code == 422
