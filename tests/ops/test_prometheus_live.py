"""Every dashboard panel and alert rule evaluated on a real Prometheus scraping the running stack."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.ops.dashboards import (
    expand_promql,
    expand_sql,
    metric_names,
    panel_queries,
    rule_queries,
)
from tests.ops.flow import drive_incident_flow, set_up_oncall
from tests.ops.live_prometheus import (
    prometheus_for,
    query,
    query_response,
    targets,
    wait_for_every_target_up,
    wait_for_scrapes,
)
from tests.stack_runner import Stack

CORE_METRICS = {
    "http_requests_total",
    "http_request_duration_seconds",
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
}
RATE_INTERVAL = "1m"
DASHBOARD_RANGE = "1h"


@pytest.fixture(scope="module")
def prometheus(running_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prometheus_for(running_stack, tmp_path_factory.mktemp("prometheus")) as base:
        wait_for_every_target_up(base)
        yield base


def _promql(expr: str) -> str:
    return expand_promql(expr, rate_interval=RATE_INTERVAL, dashboard_range=DASHBOARD_RANGE)


def test_make_up_runs_prometheus_scraping_every_service(running_stack: Stack) -> None:
    assert "prometheus" in running_stack.pids()
    offset = int(running_stack.env["STACK_PORT_OFFSET"])
    base = f"http://127.0.0.1:{9090 + offset}"
    wait_for_every_target_up(base)
    assert set(targets(base)) == {*running_stack.urls, "prometheus"}
    rules = httpx.get(f"{base}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert {r["name"] for g in rules for r in g["rules"]} >= {"NightwatchServiceDown"}


def test_every_panel_and_rule_expression_is_accepted_by_prometheus(prometheus: str) -> None:
    queries = [q for q in [*panel_queries(), *rule_queries()] if q.language == "promql"]
    assert len(queries) > 25
    for q in queries:
        body = query_response(prometheus, _promql(q.text))
        assert body["status"] == "success", (q.where, body)


def test_platform_health_panels_return_data(running_stack: Stack, prometheus: str) -> None:
    """Panels over the core's metrics need no domain flow: some traffic, then they must show."""
    for url in running_stack.urls.values():
        httpx.get(f"{url}/health/ready", timeout=5)
        httpx.get(f"{url}/no-such-route", timeout=5)
    wait_for_scrapes(prometheus)
    core = [
        q
        for q in panel_queries()
        if q.language == "promql" and metric_names(q.text) <= CORE_METRICS
    ]
    assert len(core) >= 6
    for q in core:
        assert query(prometheus, _promql(q.text)), f"{q.where} returned no data"


async def test_sql_panels_run_on_the_stack_database(stack_database_url: str) -> None:
    connection = await asyncpg.connect(stack_database_url)
    try:
        for q in panel_queries():
            if q.language == "sql":
                await connection.fetch(expand_sql(q.text, dashboard_range=DASHBOARD_RANGE))
    finally:
        await connection.close()


def _has_a_number(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(sample["value"][1])) for sample in result)


async def test_every_panel_shows_data_after_the_incident_flow(
    running_stack: Stack, prometheus: str, stack_database_url: str
) -> None:
    """alerts -> incidents -> page -> ack -> resolve, twice with scrapes between (so rates are
    not zero), then every panel query must return a number, as Grafana would draw it."""
    suffix = uuid.uuid4().hex[:8]
    team = f"dashboards-{suffix}"
    await asyncio.to_thread(set_up_oncall, running_stack.urls, team=team, suffix=suffix)
    runs = []
    for round_ in ("a", "b"):
        runs.append(
            await asyncio.to_thread(
                drive_incident_flow, running_stack.urls, team=team, suffix=suffix + round_
            )
        )
        await asyncio.to_thread(wait_for_scrapes, prometheus)
    assert runs[0].alert_results == ["new_incident", "duplicate", "correlated"]
    assert runs[0].incident_id != runs[1].incident_id

    empty = [
        f"{q.where}: {q.text}"
        for q in panel_queries()
        if q.language == "promql" and not _has_a_number(query(prometheus, _promql(q.text)))
    ]
    assert not empty, "panels without data:\n" + "\n".join(empty)

    connection = await asyncpg.connect(stack_database_url)
    try:
        for q in panel_queries():
            if q.language == "sql":
                rows = await connection.fetch(expand_sql(q.text, dashboard_range=DASHBOARD_RANGE))
                by_service = {row["service"]: row for row in rows}
                assert by_service[f"checkout-{suffix}a"]["alerts"] == 3, q.where
    finally:
        await connection.close()
