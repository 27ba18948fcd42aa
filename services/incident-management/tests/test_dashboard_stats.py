"""The dashboard's aggregates: unresolved by severity, incidents per bucket, per team / service.

The database is shared by the whole run, so each test works in a time window (or on teams) of its
own; every aggregate is checked against numbers worked out by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.plans import index_only_plan


async def _get(helpers: Any, path: str, **params: Any) -> dict[str, Any]:
    response = await helpers.client.get(f"/api/v1/incidents/stats/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_summary_counts_the_unresolved_by_severity(helpers: Any, clock: ManualClock) -> None:
    clock.set(datetime(2033, 1, 1, tzinfo=UTC))
    start = clock.now()
    for severity in ("critical", "critical", "high", "low"):
        await helpers.create(severity=severity)
    acked = await helpers.create(severity="high")
    await helpers.patch(acked["id"], {"status": "acknowledged"})
    resolved = await helpers.create(severity="critical")
    await helpers.patch(resolved["id"], {"status": "resolved"})
    clock.advance(1)
    stats = await _get(helpers, "summary", since=start.isoformat(), until=clock.now().isoformat())
    assert stats["open_by_severity"] == {"critical": 2, "high": 2, "medium": 0, "low": 1}
    assert stats["by_severity"] == {"critical": 3, "high": 2, "medium": 0, "low": 1}
    assert (
        sum(stats["open_by_severity"].values()) == stats["total"] - stats["by_status"]["resolved"]
    )


async def test_timeseries_has_every_bucket_and_counts_the_range_exactly(
    helpers: Any, clock: ManualClock
) -> None:
    base = datetime(2033, 2, 1, 10, 0, tzinfo=UTC)
    for minute, count in ((0, 2), (1, 0), (3, 1), (4, 3)):
        clock.set(base + timedelta(minutes=minute, seconds=30))
        for _ in range(count):
            await helpers.create()
    # since falls inside 10:00 (that bucket counts only from 10:00:40 on: nothing), until inside
    # 10:04 (counts its first 31 s: all three at 10:04:30).
    since, until = base + timedelta(seconds=40), base + timedelta(minutes=4, seconds=31)
    series = await _get(
        helpers, "timeseries", since=since.isoformat(), until=until.isoformat(), bucket="minute"
    )
    assert [(p["start"][11:16], p["count"]) for p in series["buckets"]] == [
        ("10:00", 0),
        ("10:01", 0),
        ("10:02", 0),
        ("10:03", 1),
        ("10:04", 3),
    ]
    assert series["total"] == 4 and series["bucket"] == "minute"
    hourly = await _get(
        helpers,
        "timeseries",
        since=base.isoformat(),
        until=(base + timedelta(hours=2)).isoformat(),
        bucket="hour",
    )
    assert [p["count"] for p in hourly["buckets"]] == [6, 0]
    daily = await _get(
        helpers,
        "timeseries",
        since=(base - timedelta(days=1)).isoformat(),
        until=(base + timedelta(days=1)).isoformat(),
        bucket="day",
    )
    assert [(p["start"], p["count"]) for p in daily["buckets"]] == [
        ("2033-01-31T00:00:00Z", 0),
        ("2033-02-01T00:00:00Z", 6),
        ("2033-02-02T00:00:00Z", 0),
    ]


async def test_timeseries_defaults_to_the_last_24_hours_by_hour(
    helpers: Any, clock: ManualClock
) -> None:
    clock.set(datetime(2033, 3, 1, 12, 0, tzinfo=UTC))
    await helpers.create()
    clock.advance(3600)
    series = await _get(helpers, "timeseries")
    assert series["until"] == "2033-03-01T13:00:00Z"
    assert series["since"] == "2033-02-28T13:00:00Z"
    assert len(series["buckets"]) == 24 and series["bucket"] == "hour"
    assert series["buckets"][-1] == {"start": "2033-03-01T12:00:00Z", "count": 1}


async def test_by_group_gives_totals_open_and_durations_per_team_and_service(
    helpers: Any, clock: ManualClock
) -> None:
    clock.set(datetime(2033, 4, 1, tzinfo=UTC))
    start = clock.now()
    big, small = f"team-{uuid.uuid4().hex[:8]}", f"team-{uuid.uuid4().hex[:8]}"
    for seconds in (10, 20, 60):
        incident = await helpers.create(team=big)
        clock.advance(seconds)
        await helpers.patch(incident["id"], {"status": "acknowledged"})
        clock.advance(seconds)
        await helpers.patch(incident["id"], {"status": "resolved"})
    await helpers.create(team=big)
    await helpers.create(team=small, service=f"{helpers.service}-b")
    clock.advance(1)
    window = {"since": start.isoformat(), "until": clock.now().isoformat()}
    teams = await _get(helpers, "by-group", by="team", **window)
    assert teams["by"] == "team" and teams["groups"] == 2
    first, second = teams["items"]
    assert (first["name"], first["total"], first["open"]) == (big, 4, 1)
    assert first["mtta"] == {
        "count": 3,
        "mean_seconds": 30.0,
        "p50_seconds": 20.0,
        "p90_seconds": 52.0,
    }
    assert first["mttr"]["count"] == 3 and first["mttr"]["mean_seconds"] == 60.0
    assert (second["name"], second["total"], second["open"]) == (small, 1, 1)
    assert second["mtta"] == {
        "count": 0,
        "mean_seconds": None,
        "p50_seconds": None,
        "p90_seconds": None,
    }
    services = await _get(helpers, "by-group", by="service", **window)
    assert [(g["name"], g["total"]) for g in services["items"]] == [
        (helpers.service, 4),
        (f"{helpers.service}-b", 1),
    ]
    top = await _get(helpers, "by-group", by="team", limit=1, **window)
    assert [g["name"] for g in top["items"]] == [big] and top["groups"] == 2
    empty = await _get(
        helpers, "by-group", since="1990-01-01T00:00:00Z", until="1990-01-02T00:00:00Z"
    )
    assert empty["items"] == [] and empty["groups"] == 0


async def test_by_group_names_incidents_without_a_team_null(app: FastAPI, client: Any) -> None:
    # Only SQL can store one (the API always gives a team); rows from before DEFAULT_TEAM may.
    async with app.state.db_pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO incidents.incidents (title, service, severity, team, created_at)"
            " VALUES ('no team', 'svc', 'low', NULL, '2033-05-01T00:00:00Z')"
        )
    teams = await client.get(
        "/api/v1/incidents/stats/by-group",
        params={"since": "2033-05-01T00:00:00Z", "until": "2033-05-02T00:00:00Z"},
    )
    assert teams.status_code == 200, teams.text
    assert [(g["name"], g["total"], g["open"]) for g in teams.json()["items"]] == [(None, 1, 1)]


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "timeseries",
            {"since": "2033-01-02T00:00:00Z", "until": "2033-01-01T00:00:00Z"},
            "must be before query.until",
        ),
        (
            "timeseries",
            {"since": "2033-01-01T00:00:00Z", "until": "2033-01-01T00:00:00Z"},
            "before",
        ),
        (
            "timeseries",
            {"since": "2033-01-01T00:00:00Z", "until": "2033-01-03T00:00:00Z", "bucket": "minute"},
            "2880 minute buckets; at most 1440",
        ),
        ("timeseries", {"since": "0001-01-01T00:00:00Z", "bucket": "day"}, "at most 1440"),
        ("timeseries", {"until": "0001-01-01T05:00:00Z"}, "give both since and until"),
        ("timeseries", {"since": "0001-01-01T00:00:00+05:00"}, "out of range"),
        ("timeseries", {"bucket": "week"}, "query.bucket"),
        ("timeseries", {"since": "yesterday"}, "query.since"),
        ("by-group", {"by": "assignee"}, "query.by"),
        ("by-group", {"limit": 0}, "query.limit"),
        ("by-group", {"limit": 101}, "query.limit"),
        (
            "by-group",
            {"since": "2033-01-02T00:00:00Z", "until": "2033-01-01T00:00:00Z"},
            "must be before",
        ),
        ("summary", {"since": "2033-01-02T00:00:00Z", "until": "2033-01-01T00:00:00Z"}, None),
    ],
)
async def test_bad_input_is_a_clear_422(
    helpers: Any, path: str, params: dict[str, Any], message: str | None
) -> None:
    response = await helpers.client.get(f"/api/v1/incidents/stats/{path}", params=params)
    if message is None:  # the summary of a reversed range is empty, as before
        assert response.status_code == 200 and response.json()["total"] == 0
        return
    assert response.status_code == 422, response.text
    assert message in str(response.json()["error"]), response.text


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        (
            "SELECT team, count(*), count(*) FILTER (WHERE status <> 'resolved'), avg(mtta_seconds),"
            " avg(mttr_seconds) FROM incidents.incidents GROUP BY team",
            "incidents_team_idx",
        ),
        (
            "SELECT service, count(*), count(*) FILTER (WHERE status <> 'resolved'),"
            " avg(mtta_seconds), avg(mttr_seconds) FROM incidents.incidents GROUP BY service",
            "incidents_service_idx",
        ),
        (
            "SELECT date_bin('1 hour', created_at, '2033-01-01'), count(*) FROM incidents.incidents"
            " WHERE created_at >= '2033-01-01' AND created_at < '2033-01-02' GROUP BY 1",
            "incidents_created_idx",
        ),
    ],
)
async def test_the_aggregates_are_covered_by_an_index(
    app: FastAPI, client: Any, sql: str, index: str
) -> None:
    """Every column the aggregate reads is in one index: with sequential scans off, the plan is
    an index-only scan (the table's wide rows are never read)."""
    plan = await index_only_plan(app.state.db_pool, sql)
    assert f"Index Only Scan using {index}" in plan, plan
