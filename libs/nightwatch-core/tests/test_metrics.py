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
