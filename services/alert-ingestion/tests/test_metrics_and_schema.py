"""Metrics with their contract names, and schemathesis over the ingestion OpenAPI."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from nightwatch_ingestion.main import create_app
from nightwatch_ingestion.settings import IngestionSettings
from prometheus_client import REGISTRY
from schemathesis import GenerationMode


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


def _fuzz(spec: dict[str, Any], base_url: str, examples: int) -> tuple[int, list[str]]:
    """Every operation, hypothesis-generated valid and invalid requests: collect any 5xx."""
    schema = schemathesis.openapi.from_dict(spec)
    failures: list[str] = []
    calls = [0]
    for result, mode in itertools.product(
        list(schema.get_all_operations()), [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    ):
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(base_url=base_url, timeout=10)
            calls[0] += 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.as_curl_command()} -> {response.status_code} {response.text[:300]}"
                )

        with contextlib.suppress(Unsatisfiable):  # no way to call this one wrongly in that mode
            check()
    return calls[0], failures


async def test_schemathesis_finds_no_server_error(
    make_settings: Any, incidents: Any, http_server: Any
) -> None:
    settings_ = make_settings(
        IngestionSettings,
        incident_management_url=incidents.url,
        incident_create_timeout_seconds=0.5,
        workers_enabled=False,
    )
    app = create_app(settings_)
    async with http_server(app) as base_url:
        calls, failures = await asyncio.to_thread(_fuzz, app.openapi(), base_url, 25)
    assert failures == []
    assert calls >= 100  # it really exercised the API
