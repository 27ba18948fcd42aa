"""The dashboard with more than 1,000 incidents and 1,000 alerts stored, in a real browser: every
figure it shows equals the services' aggregates for the range it asked (and, for the counts, a
count over the whole table in SQL): nothing is a sample of the newest 200 incidents or 500 alerts.

The incidents are written in one SQL statement (a thousand POSTs would start a thousand
escalations); the alerts go through the public batch route."""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg
from playwright.async_api import Browser, Page, expect

from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import sign_in

INCIDENTS = 1_200  # a third resolved, a third acknowledged, a third open
ALERTS = 1_000


def format_duration(seconds: float | None) -> str:
    """web-ui/src/format.ts's formatDuration (JavaScript's Math.round: halves go up)."""
    if seconds is None:
        return "—"
    s = max(0, math.floor(seconds + 0.5))
    if s < 60:
        return f"{s}s"
    m = s // 60
    if m < 60:
        return f"{m}m {s % 60}s"
    h = m // 60
    if h < 48:
        return f"{h}h {m % 60}m"
    return f"{h // 24}d {h % 24}h"


async def _store_incidents(database_url: str, prefix: str) -> None:
    """INCIDENTS incidents over the last six days, each half an hour away from a whole hour ago,
    so the range's ends (moving with every refresh) never cross one while the test runs."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """
            INSERT INTO incidents.incidents
                (title, service, severity, status, team, created_at, updated_at,
                 acknowledged_at, resolved_at)
            SELECT 'Dashboard load ' || i, $1::text || '-svc-' || (i % 5),
                   (ARRAY['critical', 'high', 'medium', 'low'])[1 + i % 4],
                   (ARRAY['resolved', 'acknowledged', 'open'])[1 + i % 3],
                   $1::text || '-team-' || (i % 3), created, created,
                   CASE WHEN i % 3 < 2 THEN created + (1 + i % 7) * interval '1 minute' END,
                   CASE WHEN i % 3 = 0 THEN created + (10 + i % 11) * interval '1 minute' END
            FROM generate_series(0, $2::int - 1) AS i,
                 LATERAL (SELECT $3::timestamptz - ((i % 144) + 0.5) * interval '1 hour'
                          AS created) t
            """,
            prefix,
            INCIDENTS,
            datetime.now(UTC),
        )
    finally:
        await conn.close()


async def _sql_counts(database_url: str, since: str, until: str) -> tuple[int, int]:
    """Unresolved incidents now, and incidents created in [since, until): over every row."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            """
            SELECT count(*) FILTER (WHERE status <> 'resolved') AS open,
                   count(*) FILTER (WHERE created_at >= $1 AND created_at < $2) AS in_range
            FROM incidents.incidents
            """,
            datetime.fromisoformat(since),
            datetime.fromisoformat(until),
        )
        assert row is not None
        return row["open"], row["in_range"]
    finally:
        await conn.close()


def _get(api: GatewayApi, path: str, **params: Any) -> Any:
    response = api.client.get(f"/api/v1/{path}", params=params, headers=api.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def _range_asked(page: Page, action: Any) -> dict[str, str]:
    """The since / until / bucket of the next load of the page's charts."""
    async with page.expect_response(
        lambda r: "/api/v1/incidents/stats/timeseries" in r.url and r.ok
    ) as answer:
        await action()
    query = parse_qs(urlparse((await answer.value).url).query)
    return {name: values[0] for name, values in query.items()}


async def _check_figures(
    page: Page, api: GatewayApi, database_url: str, asked: dict[str, str]
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The page's figures against the API's answers for the range it asked."""
    window = {"since": asked["since"], "until": asked["until"]}
    current = _get(api, "incidents/stats/summary")
    in_range = _get(api, "incidents/stats/summary", **window)
    incidents = _get(api, "incidents/stats/timeseries", **asked)
    alerts = _get(api, "alerts/stats/timeseries", **asked)
    noisy = _get(api, "alerts/stats/top-services", limit=5, **window)
    teams = _get(api, "incidents/stats/by-group", by="team", limit=10, **window)
    services = _get(api, "incidents/stats/by-group", by="service", limit=10, **window)

    open_now = sum(current["open_by_severity"].values())
    sql_open, sql_in_range = await _sql_counts(database_url, asked["since"], asked["until"])
    assert open_now == sql_open and in_range["total"] == sql_in_range == incidents["total"]
    breakdown = " · ".join(f"{n} {s}" for s, n in current["open_by_severity"].items())

    await expect(page.get_by_test_id("open-count")).to_have_text(str(open_now))
    await expect(page.get_by_test_id("open-count-sub")).to_have_text(breakdown)
    await expect(page.get_by_test_id("dashboard-mtta")).to_have_text(
        format_duration(in_range["mtta"]["mean_seconds"])
    )
    await expect(page.get_by_test_id("dashboard-mttr")).to_have_text(
        format_duration(in_range["mttr"]["mean_seconds"])
    )
    await expect(page.get_by_test_id("range-incidents")).to_have_text(str(in_range["total"]))
    await expect(page.get_by_test_id("incidents-total")).to_have_text(str(incidents["total"]))
    await expect(page.get_by_test_id("range-alerts")).to_have_text(str(alerts["total"]))
    await expect(page.get_by_test_id("alerts-total")).to_have_text(str(alerts["total"]))
    await expect(page.get_by_test_id("range-alerts-sub")).to_have_text(
        f"from {noisy['services']} services"
    )
    for by, page_of in (("team", teams), ("service", services)):
        rows = page.get_by_test_id(f"{by}-row")
        await expect(rows).to_have_count(len(page_of["items"]))
        for row, group in zip(await rows.all(), page_of["items"], strict=True):
            cells = [text.strip() for text in await row.locator("td").all_inner_texts()]
            assert cells[:4] == [
                group["name"],
                str(group["total"]),
                str(group["open"]),
                format_duration(group["mtta"]["mean_seconds"]),
            ], (by, cells, group)
            assert cells[6] == format_duration(group["mttr"]["mean_seconds"]), (by, cells)
    return open_now, in_range, alerts


async def test_every_figure_equals_the_aggregates_with_more_than_1000_incidents(
    browser: Browser, ui_url: str, api: GatewayApi, stack_database_url: str
) -> None:
    prefix = f"dash-{uuid.uuid4().hex[:6]}"
    await _store_incidents(stack_database_url, prefix)
    batch = [
        {"service": f"{prefix}-noisy", "severity": "high", "message": f"queue depth {n % 2}"}
        for n in range(ALERTS)
    ]
    accepted = api.client.post("/api/v1/alerts", json=batch, headers=api.ingest)
    assert accepted.status_code in (201, 202), accepted.text

    # A viewer: the aggregates are read routes.
    username, password = api.create_account("viewer")
    context = await browser.new_context(base_url=ui_url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    try:
        page = await context.new_page()
        await sign_in(page, username, password)
        await expect(page.get_by_test_id("current-user")).to_contain_text(username)
        asked = await _range_asked(page, lambda: page.goto("/"))
        assert asked["bucket"] == "hour"
        open_now, day, alerts = await _check_figures(page, api, stack_database_url, asked)
        # More than the old samples could ever show: 200 incidents, 500 alerts.
        assert open_now >= INCIDENTS * 2 // 3 > 200
        assert alerts["total"] >= ALERTS > 500
        assert day["total"] >= INCIDENTS * 24 // 144

        picker = page.get_by_role("group", name="Time range")
        week = await _range_asked(page, lambda: picker.get_by_role("button", name="7 d").click())
        await expect(page).to_have_url(re.compile(r"range=7d"))
        assert week["bucket"] == "hour"
        _, week_summary, _ = await _check_figures(page, api, stack_database_url, week)
        assert week_summary["total"] >= INCIDENTS
        mine = page.get_by_test_id("team-row").filter(has_text=f"{prefix}-team-0")
        await expect(mine.locator("td").nth(1)).to_have_text(str(INCIDENTS // 3))
    finally:
        await context.close()
