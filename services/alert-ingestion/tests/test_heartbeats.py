"""Heartbeats on the real database with a fast-forwarded clock: missed -> alert (incident) ->
ping -> resolved; two replicas' workers fire a deadline once; bad input is a clear 4xx."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from nightwatch_ingestion.alerts.fingerprint import of_dedup_key

from .conftest import FakeIncidentManagement


async def create(client: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "name": f"hb-{uuid.uuid4().hex[:8]}",
        "team": "platform",
        "interval_seconds": 60,
        "grace_seconds": 30,
        **fields,
    }
    response = await client.post("/api/v1/heartbeats", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def items_of(incidents: FakeIncidentManagement, heartbeat: dict[str, Any]) -> list[Any]:
    fingerprint = of_dedup_key(f"heartbeat:{heartbeat['id']}")
    return [item for item in incidents.items if item["fingerprint"] == fingerprint]


def ping_path(heartbeat: dict[str, Any]) -> str:
    return "/api/v1/heartbeats/ping/" + heartbeat["ping_url"].rsplit("/", 1)[1]


async def test_missed_raises_one_alert_across_two_workers_and_a_ping_resolves_it(
    ingestion: Any, clock: Any, incidents: FakeIncidentManagement
) -> None:
    async with ingestion() as (first, client), ingestion() as (second, _):
        heartbeat = await create(client)
        assert heartbeat["state"] == "waiting"
        assert heartbeat["ping_url"].startswith("http://localhost:8080/api/v1/heartbeats/ping/nwh_")

        async def both_workers() -> None:
            await asyncio.gather(
                first.state.heartbeat_worker.run_due(first),
                second.state.heartbeat_worker.run_due(second),
            )

        clock.advance(timedelta(seconds=89))  # interval + grace not yet over
        await both_workers()
        assert items_of(incidents, heartbeat) == []

        clock.advance(timedelta(seconds=2))
        await both_workers()
        await both_workers()  # and again: a down heartbeat does not fire twice
        fired = items_of(incidents, heartbeat)
        assert len(fired) == 1, fired
        assert fired[0].get("action", "trigger") == "trigger"
        assert fired[0]["team"] == "platform" and fired[0]["service"] == heartbeat["name"]
        assert fired[0]["alert_id"] in incidents.placed  # it opened an incident
        got = (await client.get(f"/api/v1/heartbeats/{heartbeat['id']}")).json()
        assert got["state"] == "down" and got["last_missed_at"] is not None

        pinged = await client.get(ping_path(heartbeat))
        assert pinged.status_code == 200, pinged.text
        assert pinged.json()["resolved"] is True and pinged.json()["state"] == "up"
        sent = items_of(incidents, heartbeat)
        assert [item.get("action", "trigger") for item in sent] == ["trigger", "resolve"]
        stored = (await client.get("/api/v1/alerts", params={"service": heartbeat["name"]})).json()[
            "items"
        ]
        assert {a["source"] for a in stored} == {"heartbeat"}

        # Up again: the next deadline runs from the ping; a POST ping works as well.
        clock.advance(timedelta(seconds=60))
        assert (await client.post(ping_path(heartbeat))).json()["resolved"] is False
        clock.advance(timedelta(seconds=89))
        await both_workers()
        assert len(items_of(incidents, heartbeat)) == 2


async def test_a_heartbeat_never_pinged_is_missed_from_its_creation(
    app: Any, client: Any, clock: Any, incidents: FakeIncidentManagement
) -> None:
    heartbeat = await create(client, interval_seconds=10, grace_seconds=0, severity="critical")
    clock.advance(timedelta(seconds=10))
    await app.state.heartbeat_worker.run_due(app)
    [alert] = items_of(incidents, heartbeat)
    assert alert["severity"] == "critical"
    assert "missed" in alert["message"]


async def test_heartbeat_bad_input_and_unknown_keys(client: Any) -> None:
    made = await create(client)
    assert (
        await client.post(
            "/api/v1/heartbeats",
            json={
                "name": made["name"],
                "team": "x",
                "interval_seconds": 60,
            },
        )
    ).status_code == 409
    for body, says in [
        ({"name": "a", "team": "t", "interval_seconds": 5}, "interval_seconds"),
        ({"name": " ", "team": "t", "interval_seconds": 60}, "name"),
        ({"name": "a", "team": "t", "interval_seconds": 60, "grace_seconds": -1}, "grace"),
        ({"name": "a", "interval_seconds": 60}, "team"),
    ]:
        response = await client.post("/api/v1/heartbeats", json=body)
        assert response.status_code == 422 and says in response.text, (body, response.text)
    assert (await client.get("/api/v1/heartbeats/ping/nwh_unknownkey123")).status_code == 404
    assert (await client.get("/api/v1/heartbeats/ping/bad key!")).status_code in (404, 422)

    rotated = (await client.post(f"/api/v1/heartbeats/{made['id']}/rotate-key")).json()
    assert rotated["ping_url"] != made["ping_url"]
    assert (await client.post(ping_path(made))).status_code == 404
    assert (await client.post(ping_path(rotated))).status_code == 200
    changed = await client.patch(f"/api/v1/heartbeats/{made['id']}", json={"grace_seconds": 600})
    assert changed.status_code == 200 and changed.json()["grace_seconds"] == 600
    listed = (await client.get("/api/v1/heartbeats")).json()
    assert made["id"] in {h["id"] for h in listed["items"]}
    assert (await client.delete(f"/api/v1/heartbeats/{made['id']}")).status_code == 204
    assert (await client.get(f"/api/v1/heartbeats/{made['id']}")).status_code == 404
