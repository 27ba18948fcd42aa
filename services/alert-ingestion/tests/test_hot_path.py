"""The hot path: alerts joining open incidents in one statement, shared by concurrent requests."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from nightwatch_ingestion.alerts.fast_path import JoinRequest, join_open_groups
from prometheus_client import REGISTRY


def _request(service: str, name: str, **fields: Any) -> JoinRequest:
    """A ready alert whose fingerprint is derived from ``name`` (same name: same fingerprint)."""
    values: dict[str, Any] = {
        "alert_id": uuid.uuid4(),
        "service": service,
        "severity": "high",
        "fingerprint": hashlib.sha256(name.encode()).hexdigest(),
        "message": f"message of {name}",
        "labels_json": "{}",
        "timestamp": None,
        "team": "default",
    }
    values.update(fields)
    return JoinRequest(**values)


def _batch_stats() -> tuple[float, float]:
    count = REGISTRY.get_sample_value("alert_hot_path_batch_size_count") or 0.0
    total = REGISTRY.get_sample_value("alert_hot_path_batch_size_sum") or 0.0
    return count, total


async def test_one_statement_places_each_alert_and_marks_repeats_within_it_as_duplicates(
    app: Any, client: Any, make_alert: Any, service_name: str, clock: Any
) -> None:
    opened = (await client.post("/api/v1/alerts", json=make_alert())).json()
    first, second, repeat = (
        _request(service_name, "fp-a"),
        _request(service_name, "fp-b"),
        _request(service_name, "fp-a"),
    )
    homeless = _request(f"{service_name}-none", "fp-a")  # no open group: not written
    async with app.state.db_pool.acquire() as conn:
        joined = await join_open_groups(
            conn,
            alerts=[first, second, repeat, homeless],
            now=clock.now(),
            window=timedelta(minutes=5),
        )
        again = await join_open_groups(
            conn,
            alerts=[_request(service_name, "fp-b")],
            now=clock.now(),
            window=timedelta(minutes=5),
        )
        stored = await conn.fetchval(
            "SELECT count(*) FROM ingestion.alerts WHERE id = ANY($1::uuid[])",
            [first.alert_id, second.alert_id, repeat.alert_id, homeless.alert_id],
        )
    assert {k: v.result.value for k, v in joined.items()} == {
        first.alert_id: "correlated",
        second.alert_id: "correlated",
        repeat.alert_id: "duplicate",
    }
    assert {str(v.incident_id) for v in joined.values()} == {opened["incident_id"]}
    assert [v.result.value for v in again.values()] == ["duplicate"]
    assert stored == 3


async def test_concurrent_single_posts_share_statements_and_all_are_stored(
    app: Any, client: Any, make_alert: Any, service_name: str
) -> None:
    await client.post("/api/v1/alerts", json=make_alert())  # opens the incident
    before = _batch_stats()
    responses = await asyncio.gather(
        *(client.post("/api/v1/alerts", json=make_alert(message=f"pod {i}")) for i in range(50))
    )
    after = _batch_stats()
    assert [r.status_code for r in responses] == [201] * 50
    assert {r.json()["result"] for r in responses} == {"correlated"}
    statements, alerts = after[0] - before[0], after[1] - before[1]
    assert alerts == 50
    assert statements < 25  # without coalescing: 50
    async with app.state.db_pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM ingestion.alerts WHERE service = $1", service_name
        )
    assert stored == 51


async def test_an_alert_postgresql_refuses_does_not_fail_the_others_sharing_its_statement(
    app: Any, client: Any, make_alert: Any, service_name: str
) -> None:
    await client.post("/api/v1/alerts", json=make_alert())
    coalescer = app.state.join_coalescer
    good = [_request(service_name, f"fp-{i}") for i in range(5)]
    bad = _request(service_name, "fp-bad", labels_json="{not json")
    outcomes = await asyncio.gather(
        *(coalescer.join(r) for r in [*good[:3], bad, *good[3:]]), return_exceptions=True
    )
    assert isinstance(outcomes[3], asyncpg.PostgresError)
    assert [o.result.value for o in outcomes if not isinstance(o, BaseException)] == [
        "correlated"
    ] * 5


@pytest.mark.parametrize("content_type", ["application/merge-patch+json", None])
async def test_json_the_lane_does_not_take_still_goes_through_the_route(
    client: Any, make_alert: Any, content_type: str | None
) -> None:
    import orjson

    headers = {"content-type": content_type} if content_type else {}
    response = await client.post(
        "/api/v1/alerts", content=orjson.dumps(make_alert()), headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["result"] == "new_incident"


async def _queued(app: Any, alert_ids: list[str]) -> int:
    async with app.state.db_pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM ingestion.attach_queue WHERE alert_id = ANY($1::uuid[])",
                alert_ids,
            )
        )


async def test_linked_alerts_wait_in_the_attach_queue_until_sent_or_refused(
    app: Any, client: Any, incidents: Any, make_alert: Any
) -> None:
    from nightwatch_ingestion.alerts.workers import attach_once

    single = [(await client.post("/api/v1/alerts", json=make_alert())).json() for _ in range(3)]
    batch = (await client.post("/api/v1/alerts", json=[make_alert(severity="low")] * 2)).json()
    ids = [a["alert_id"] for a in single + batch["results"]]
    assert await _queued(app, ids) == 5  # hot path, general path and batch path all queue
    refused = (await client.post("/api/v1/alerts", json=make_alert(severity="critical"))).json()
    incidents.incidents.pop(refused["incident_id"])  # 404 for good: dead, not retried forever
    await attach_once(app)
    assert await _queued(app, [*ids, refused["alert_id"]]) == 0
    assert set(ids) <= set(incidents.attached)
    assert refused["alert_id"] not in incidents.attached
