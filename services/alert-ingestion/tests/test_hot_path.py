"""The hot path: concurrent single POSTs share one call to incident-management and one statement."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from nightwatch_ingestion.alerts.placement import Prepared
from prometheus_client import REGISTRY


def _prepared(service: str, name: str, **fields: Any) -> Prepared:
    """A ready alert whose fingerprint is derived from ``name`` (same name: same fingerprint)."""
    values: dict[str, Any] = {
        "alert_id": uuid.uuid4(),
        "service": service,
        "severity": "high",
        "fingerprint": hashlib.sha256(name.encode()).hexdigest(),
        "message": f"message of {name}",
        "labels": {},
        "labels_json": "{}",
        "timestamp": None,
        "team": "default",
        "received_at": datetime(2026, 2, 9, 15, 30, tzinfo=UTC),
    }
    values.update(fields)
    return Prepared(**values)


def _batch_stats() -> tuple[float, float]:
    count = REGISTRY.get_sample_value("alert_hot_path_batch_size_count") or 0.0
    total = REGISTRY.get_sample_value("alert_hot_path_batch_size_sum") or 0.0
    return count, total


async def test_concurrent_single_posts_share_calls_and_statements_and_all_are_stored(
    app: Any, client: Any, incidents: Any, make_alert: Any, service_name: str
) -> None:
    await client.post("/api/v1/alerts", json=make_alert())  # opens the incident
    before, calls_before = _batch_stats(), incidents.calls
    responses = await asyncio.gather(
        *(client.post("/api/v1/alerts", json=make_alert(message=f"pod {i}")) for i in range(50))
    )
    after = _batch_stats()
    assert [r.status_code for r in responses] == [201] * 50
    assert {r.json()["result"] for r in responses} == {"correlated"}
    flushes, alerts = after[0] - before[0], after[1] - before[1]
    assert alerts == 50
    assert flushes < 25 and incidents.calls - calls_before == flushes  # without coalescing: 50
    async with app.state.db_pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM ingestion.alerts WHERE service = $1", service_name
        )
    assert stored == 51


async def test_an_alert_postgresql_refuses_does_not_fail_the_others_sharing_its_statement(
    app: Any, client: Any, make_alert: Any, service_name: str
) -> None:
    await client.post("/api/v1/alerts", json=make_alert())
    coalescer = app.state.placement_coalescer
    good = [_prepared(service_name, f"fp-{i}") for i in range(5)]
    bad = _prepared(service_name, "fp-bad", labels_json="{not json")
    outcomes = await asyncio.gather(
        *(coalescer.submit(r) for r in [*good[:3], bad, *good[3:]]), return_exceptions=True
    )
    assert isinstance(outcomes[3], asyncpg.PostgresError)
    assert [o.result.value for o in outcomes if not isinstance(o, BaseException)] == [
        "correlated"
    ] * 5
    async with app.state.db_pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM ingestion.alerts WHERE id = ANY($1::uuid[])",
            [p.alert_id for p in [*good, bad]],
        )
    assert stored == 5


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
