from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families


async def test_metrics_exposition_counts_requests_by_route_template(
    sample_app: FastAPI, app_client: Any
) -> None:
    async with app_client(sample_app) as client:
        for item in (1, 2, 3):
            await client.get(f"/items/{item}")
        await client.get("/items/0")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    counts = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["http_requests"].samples
        if s.name == "http_requests_total" and s.labels["service"] == "sample"
    }
    # Route templates, not raw paths: one series for every id.
    assert counts[("/items/{item_id}", "200")] >= 3
    assert counts[("/items/{item_id}", "404")] >= 1
    assert not any(route == "/items/1" for route, _ in counts)
    histogram = families["http_request_duration_seconds"]
    buckets = [s for s in histogram.samples if s.name.endswith("_bucket")]
    assert any(s.labels["route"] == "/items/{item_id}" for s in buckets)


async def test_unknown_routes_share_one_series(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        await client.get("/random/a")
        await client.get("/random/b")
        text = (await client.get("/metrics")).text
    assert "/random/a" not in text
    assert 'route="<unmatched>"' in text


async def test_scrape_hooks_run_before_each_exposition_and_never_break_it(
    make_settings: Any, app_client: Any
) -> None:
    from nightwatch_core.app_factory import create_service_app
    from nightwatch_core.settings import ServiceSettings
    from prometheus_client import Gauge

    gauge = Gauge("scrape_hook_test_value", "set by a scrape hook")
    scrapes: list[int] = []

    async def set_gauge(app: FastAPI) -> None:
        scrapes.append(1)
        gauge.set(len(scrapes))

    async def broken(app: FastAPI) -> None:
        raise RuntimeError("database is down")

    app = create_service_app(
        title="hooks",
        settings=make_settings(ServiceSettings, service_name="hooks"),
        scrape_hooks=[broken, set_gauge],
    )
    async with app_client(app) as client:
        first = await client.get("/metrics")
        second = await client.get("/metrics")
    assert first.status_code == second.status_code == 200
    assert "scrape_hook_test_value 1.0" in first.text
    assert "scrape_hook_test_value 2.0" in second.text
