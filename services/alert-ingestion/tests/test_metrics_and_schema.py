"""Metrics with their contract names, and schemathesis over the ingestion OpenAPI."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from nightwatch_core.testing.fuzz import find_server_errors
from nightwatch_ingestion.main import create_app
from nightwatch_ingestion.settings import IngestionSettings
from nightwatch_oncall.main import create_app as create_oncall_app
from nightwatch_oncall.settings import OncallSettings
from prometheus_client import REGISTRY


def _sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_metrics_count_alerts_by_severity_and_result(client: Any, make_alert: Any) -> None:
    before = (
        _sample("alerts_received_total", {"severity": "critical"}),
        _sample("alerts_correlated_total", {"result": "new_incident"}),
        _sample("alerts_correlated_total", {"result": "duplicate"}),
        _sample("alert_processing_seconds_count"),
    )
    await client.post("/api/v1/alerts", json=[make_alert(severity="critical")] * 3)
    await client.post("/api/v1/alerts", json=make_alert(severity="critical"))
    after = (
        _sample("alerts_received_total", {"severity": "critical"}),
        _sample("alerts_correlated_total", {"result": "new_incident"}),
        _sample("alerts_correlated_total", {"result": "duplicate"}),
        _sample("alert_processing_seconds_count"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [4, 1, 3, 2]
    exposed = (await client.get("/metrics")).text
    for name in (
        "alerts_received_total",
        "alerts_correlated_total",
        "alert_processing_seconds_bucket",
    ):
        assert name in exposed


async def test_schemathesis_finds_no_server_error(
    make_settings: Any, incidents: Any, http_server: Any
) -> None:
    # Routing rules name teams: the real on-call answers whether they exist.
    oncall = create_oncall_app(make_settings(OncallSettings, escalation_workers_enabled=False))
    async with http_server(oncall) as oncall_url:
        settings_ = make_settings(
            IngestionSettings,
            incident_management_url=incidents.url,
            incident_create_timeout_seconds=0.5,
            workers_enabled=False,
            oncall_url=oncall_url,
        )
        app = create_app(settings_)
        async with http_server(app) as base_url:
            calls, failures = await asyncio.to_thread(
                partial(find_server_errors, app.openapi(), base_url, examples=25)
            )
    assert failures == []
    assert calls >= 100  # it really exercised the API
