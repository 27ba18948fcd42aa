"""GET /api/v1/incidents (filters, sort, pagination) and the stats summary (computed in SQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.statements import counted_pool_statements


async def _ids(helpers: Any, **params: Any) -> list[str]:
    response = await helpers.client.get(
        "/api/v1/incidents", params={"service": helpers.service, **params}
    )
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["items"]]


async def test_filters_by_status_several_at_once(helpers: Any) -> None:
    opened = await helpers.create()
    acked = await helpers.create()
    resolved = await helpers.create()
    await helpers.patch(acked["id"], {"status": "acknowledged"})
    await helpers.patch(resolved["id"], {"status": "resolved"})
    both = await _ids(helpers, status=["open", "acknowledged"])
    assert set(both) == {opened["id"], acked["id"]}
    assert set(await _ids(helpers, status="open,resolved")) == {opened["id"], resolved["id"]}
    assert await _ids(helpers, status="resolved") == [resolved["id"]]


async def test_filters_by_severity_team_assignee_and_time(helpers: Any, clock: ManualClock) -> None:
    early = await helpers.create(severity="critical", team="payments", assignee="alice")
    clock.advance(3600)
    late = await helpers.create(severity="low", team="search")
    assert await _ids(helpers, severity="critical") == [early["id"]]
    assert await _ids(helpers, team="search") == [late["id"]]
    assert await _ids(helpers, assignee="alice") == [early["id"]]
    since = early["created_at"].replace("+00:00", "Z")
    assert await _ids(helpers, since=late["created_at"]) == [late["id"]]
    assert await _ids(helpers, until=late["created_at"]) == [early["id"]]
    assert set(await _ids(helpers, since=since)) == {early["id"], late["id"]}


async def test_sort_and_pagination(helpers: Any, clock: ManualClock) -> None:
    created = []
    for severity in ("low", "critical", "medium", "high", "critical"):
        created.append(await helpers.create(severity=severity))
        clock.advance(1)
    newest_first = await _ids(helpers)
    assert newest_first == [i["id"] for i in reversed(created)]
    assert await _ids(helpers, sort="created_at") == [i["id"] for i in created]
    by_severity = await _ids(helpers, sort="severity")
    assert by_severity[:2] == [created[4]["id"], created[1]["id"]]  # critical, newest first
    assert by_severity[-1] == created[0]["id"]
    page = await helpers.client.get(
        "/api/v1/incidents", params={"service": helpers.service, "limit": 2, "offset": 2}
    )
    body = page.json()
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 2)
    assert [i["id"] for i in body["items"]] == newest_first[2:4]
    beyond = await helpers.client.get(
        "/api/v1/incidents", params={"service": helpers.service, "offset": 100}
    )
    assert beyond.json()["items"] == [] and beyond.json()["total"] == 5


async def test_stats_summary_counts_and_percentiles(helpers: Any, clock: ManualClock) -> None:
    # A window of its own: the database is shared by the whole test run.
    clock.set(datetime(2031, 5, 1, tzinfo=UTC))
    start = clock.now()
    mtta = [10, 20, 30, 40]
    for seconds in mtta:
        incident = await helpers.create(severity="critical")
        clock.advance(seconds)
        await helpers.patch(incident["id"], {"status": "acknowledged"})
        clock.advance(seconds)
        await helpers.patch(incident["id"], {"status": "resolved"})
    straight = await helpers.create(severity="low")
    clock.advance(100)
    await helpers.patch(straight["id"], {"status": "resolved"})
    await helpers.create(severity="medium")
    clock.advance(1)
    response = await helpers.client.get(
        "/api/v1/incidents/stats/summary",
        params={"since": start.isoformat(), "until": clock.now().isoformat()},
    )
    assert response.status_code == 200
    stats = response.json()
    assert stats["total"] == 6
    assert stats["by_status"] == {"open": 1, "acknowledged": 0, "in_progress": 0, "resolved": 5}
    assert stats["by_severity"] == {"critical": 4, "high": 0, "medium": 1, "low": 1}
    assert stats["mtta"] == {
        "count": 4,
        "mean_seconds": 25.0,
        "p50_seconds": 25.0,
        "p90_seconds": 37.0,
    }
    # MTTR: 20, 40, 60, 80 and the one resolved straight from open after 100 s.
    assert stats["mttr"] == {
        "count": 5,
        "mean_seconds": 60.0,
        "p50_seconds": 60.0,
        "p90_seconds": 92.0,
    }


async def test_stats_summary_of_an_empty_range_has_nulls(helpers: Any) -> None:
    response = await helpers.client.get(
        "/api/v1/incidents/stats/summary",
        params={"since": "1990-01-01T00:00:00Z", "until": "1990-01-02T00:00:00Z"},
    )
    stats = response.json()
    assert stats["total"] == 0
    assert stats["mtta"] == {
        "count": 0,
        "mean_seconds": None,
        "p50_seconds": None,
        "p90_seconds": None,
    }
    everything = await helpers.client.get("/api/v1/incidents/stats/summary")
    assert everything.status_code == 200 and everything.json()["since"] is None


async def test_identical_stats_asked_at_once_are_computed_once(helpers: Any) -> None:
    """Ten dashboards asking the same figures at the same moment cost one query each figure;
    other ranges are their own question, and a later ask computes afresh."""
    params = {"since": "2026-02-28T00:00:00Z", "until": "2026-03-01T00:00:00Z"}
    paths = ["summary", "timeseries", "by-group"]
    with counted_pool_statements(helpers.app) as statements:
        answers = await asyncio.gather(
            *(
                helpers.client.get(f"/api/v1/incidents/stats/{path}", params=params)
                for path in paths
                for _ in range(10)
            )
        )
    assert {a.status_code for a in answers} == {200}
    for n, path in enumerate(paths):
        assert len({a.text for a in answers[n * 10 : n * 10 + 10]}) == 1, path
    # (asyncpg's own type introspection on a fresh connection is not a question asked)
    asked = [s for s in statements if "incidents.incidents" in s]
    assert len(asked) == len(paths), asked
    with counted_pool_statements(helpers.app) as again:
        await helpers.client.get("/api/v1/incidents/stats/summary", params=params)
        await helpers.client.get("/api/v1/incidents/stats/summary", params=params)
        await helpers.client.get("/api/v1/incidents/stats/summary")
    assert len([s for s in again if "incidents.incidents" in s]) == 3
