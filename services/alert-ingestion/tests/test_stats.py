"""GET /api/v1/alerts/stats/timeseries and /top-services: counted in SQL over every stored alert.

The database is shared by the whole run: each test posts its alerts at a time of its own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.plans import index_only_plan


async def _post(client: Any, alerts: list[dict[str, Any]]) -> None:
    response = await client.post("/api/v1/alerts", json=alerts)
    assert response.status_code in (201, 202), response.text


async def test_alerts_per_bucket_every_bucket_and_duplicates_counted(
    client: Any, clock: ManualClock, make_alert: Any
) -> None:
    base = datetime(2034, 1, 1, 8, 0, tzinfo=UTC)
    clock.set(base + timedelta(minutes=5))
    await _post(client, [make_alert(), make_alert(), make_alert(message="other")])
    clock.set(base + timedelta(hours=2, minutes=59, seconds=59))
    await _post(client, [make_alert()])
    clock.set(base + timedelta(hours=3))
    response = await client.get(
        "/api/v1/alerts/stats/timeseries",
        params={"since": base.isoformat(), "until": clock.now().isoformat(), "bucket": "hour"},
    )
    assert response.status_code == 200, response.text
    series = response.json()
    assert [(p["start"], p["count"]) for p in series["buckets"]] == [
        ("2034-01-01T08:00:00Z", 3),
        ("2034-01-01T09:00:00Z", 0),
        ("2034-01-01T10:00:00Z", 1),
    ]
    assert series["total"] == 4
    default = (await client.get("/api/v1/alerts/stats/timeseries")).json()
    assert default["until"] == "2034-01-01T11:00:00Z" and len(default["buckets"]) == 24
    assert sum(p["count"] for p in default["buckets"]) == 4


async def test_top_services_most_alerts_first(
    client: Any, clock: ManualClock, make_alert: Any, service_name: str
) -> None:
    clock.set(datetime(2034, 2, 1, tzinfo=UTC))
    start = clock.now()
    quiet, loud = f"quiet-{uuid.uuid4().hex[:8]}", f"loud-{uuid.uuid4().hex[:8]}"
    await _post(client, [make_alert(service=loud, message=str(n)) for n in range(5)])
    await _post(client, [make_alert(service=quiet), make_alert()])
    clock.advance(1)
    window = {"since": start.isoformat(), "until": clock.now().isoformat()}
    top = (await client.get("/api/v1/alerts/stats/top-services", params=window)).json()
    assert top["total"] == 7 and top["services"] == 3
    # Ties by name: "quiet-…" before this test's "svc-…".
    assert [(s["name"], s["count"]) for s in top["items"]] == [
        (loud, 5),
        (quiet, 1),
        (service_name, 1),
    ]
    one = await client.get("/api/v1/alerts/stats/top-services", params={**window, "limit": 1})
    assert [s["name"] for s in one.json()["items"]] == [loud] and one.json()["services"] == 3
    empty = await client.get(
        "/api/v1/alerts/stats/top-services",
        params={"since": "1990-01-01T00:00:00Z", "until": "1990-01-02T00:00:00Z"},
    )
    assert empty.json() == {
        "since": "1990-01-01T00:00:00Z",
        "until": "1990-01-02T00:00:00Z",
        "total": 0,
        "services": 0,
        "items": [],
    }


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "timeseries",
            {"since": "2034-01-02T00:00:00Z", "until": "2034-01-01T00:00:00Z"},
            "must be before query.until",
        ),
        (
            "timeseries",
            {"since": "2034-01-01T00:00:00Z", "until": "2034-03-11T00:00:00Z", "bucket": "hour"},
            "1656 hour buckets; at most 1440",
        ),
        ("timeseries", {"bucket": "second"}, "query.bucket"),
        ("timeseries", {"until": "9999-12-31T23:59:59-05:00"}, "out of range"),
        ("top-services", {"limit": 0}, "query.limit"),
        ("top-services", {"limit": 101}, "query.limit"),
        ("top-services", {"since": "2034-01-02", "until": "2034-01-01"}, "must be before"),
        ("top-services", {"since": "\x00"}, "query.since"),
    ],
)
async def test_bad_input_is_a_clear_422(
    client: Any, path: str, params: dict[str, Any], message: str
) -> None:
    response = await client.get(f"/api/v1/alerts/stats/{path}", params=params)
    assert response.status_code == 422, response.text
    assert message in str(response.json()["error"]), response.text


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        (
            "SELECT date_bin('1 hour', received_at, '2034-01-01'), count(*) FROM ingestion.alerts"
            " WHERE received_at >= '2034-01-01' AND received_at < '2034-01-02' GROUP BY 1",
            "alerts_received_idx",
        ),
        ("SELECT service, count(*) FROM ingestion.alerts GROUP BY service", "alerts_service_idx"),
    ],
)
async def test_the_aggregates_are_covered_by_an_index(app: FastAPI, sql: str, index: str) -> None:
    """With sequential scans off, the plan is an index-only scan: no alert row is read."""
    plan = await index_only_plan(app.state.db_pool, sql)
    assert f"Index Only Scan using {index}" in plan, plan
