"""The Grafana dashboards and provisioning, checked structurally (Grafana itself cannot run here)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.ops.dashboards import (
    GRAFANA_BUILTINS,
    VARIABLE,
    all_panels,
    load_dashboards,
    metric_names,
    panel_queries,
    rule_queries,
)
from tests.ops.tooling import PROVISIONING_DIR, ROOT

# Panel types shipped with Grafana 11 (no plugin needed).
CORE_PANEL_TYPES = {
    "stat", "gauge", "bargauge", "timeseries", "table", "heatmap", "piechart", "barchart",
    "text", "row", "state-timeline", "status-history", "histogram", "logs", "alertlist",
}  # fmt: skip
# The metric contract (issues 3-5), the age of the oldest unacknowledged incident and the alerts
# waiting for an incident (issue 11), alerts held back by silences and maintenance windows and
# those sent on when they ended (issue 16), the open incidents that paged nobody (issue 15), the
# core's
# HTTP metrics, the gateway's own, Prometheus's own.
CONTRACT_METRICS = {
    "alerts_received_total", "alerts_correlated_total", "alert_processing_seconds",
    "incidents_created_total", "incidents_by_status", "incident_oldest_unacknowledged_seconds",
    "alerts_link_backlog", "incidents_nobody_paged",
    "alerts_suppressed_total", "suppressions_active", "alerts_released_total",
    "incident_mtta_seconds",
    "incident_mttr_seconds", "oncall_notifications_sent_total", "escalations_total",
    "notifications_sent_total", "http_requests_total", "http_request_duration_seconds",
    "gateway_upstream_latency_seconds", "gateway_auth_failures_total",
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
}  # fmt: skip
DASHBOARD_TITLES = {
    "Nightwatch — Live Incident Overview",
    "Nightwatch — SRE Performance Metrics",
    "Nightwatch — System Health",
}


def _datasources() -> dict[str, str]:
    provisioned = yaml.safe_load((PROVISIONING_DIR / "datasources" / "nightwatch.yml").read_text())
    return {ds["uid"]: ds["type"] for ds in provisioned["datasources"]}


def test_the_three_dashboards_of_the_design_exist() -> None:
    assert {d["title"] for d in load_dashboards().values()} == DASHBOARD_TITLES


def test_dashboard_uids_are_unique_and_stable() -> None:
    uids = [d["uid"] for d in load_dashboards().values()]
    assert len(uids) == len(set(uids))
    assert all(re.fullmatch(r"[a-z0-9-]{1,40}", uid) for uid in uids)


@pytest.mark.parametrize("name", sorted(load_dashboards()))
def test_panels_are_well_formed(name: str) -> None:
    dashboard = load_dashboards()[name]
    panels = all_panels(dashboard)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique within a dashboard"
    for panel in panels:
        assert panel["type"] in CORE_PANEL_TYPES, panel["title"]
        grid = panel["gridPos"]
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["targets"], f"{panel['title']} has no query"
            ref_ids = [t["refId"] for t in panel["targets"]]
            assert len(ref_ids) == len(set(ref_ids))


def _overlaps(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


@pytest.mark.parametrize("name", sorted(load_dashboards()))
def test_panels_do_not_overlap(name: str) -> None:
    grids = [p["gridPos"] for p in all_panels(load_dashboards()[name])]
    for i, a in enumerate(grids):
        for b in grids[i + 1 :]:
            assert not _overlaps(a, b), (a, b)


def test_every_datasource_reference_resolves_to_a_provisioned_one() -> None:
    datasources = _datasources()
    for dashboard in load_dashboards().values():
        for panel in all_panels(dashboard):
            refs = [panel["datasource"], *(t.get("datasource") for t in panel.get("targets", []))]
            for ref in filter(None, refs):
                assert datasources.get(ref["uid"]) == ref["type"], (panel["title"], ref)
        for variable in dashboard["templating"]["list"]:
            if "datasource" in variable:
                assert variable["datasource"]["uid"] in datasources


def test_no_dangling_variables() -> None:
    for dashboard in load_dashboards().values():
        defined = {v["name"] for v in dashboard["templating"]["list"]}
        used: set[str] = set()
        for panel in all_panels(dashboard):
            for target in panel.get("targets", []):
                used |= set(VARIABLE.findall(target.get("expr") or target.get("rawSql") or ""))
        assert used - defined - GRAFANA_BUILTINS == set(), dashboard["title"]


def test_queries_use_only_contract_metrics() -> None:
    for query in [*panel_queries(), *rule_queries()]:
        if query.language == "promql":
            assert metric_names(query.text) <= CONTRACT_METRICS, (query.where, query.text)


def test_every_contract_metric_is_on_a_dashboard() -> None:
    shown: set[str] = set()
    for query in panel_queries():
        if query.language == "promql":
            shown |= metric_names(query.text)
    assert shown == CONTRACT_METRICS


def test_provisioning_points_grafana_at_the_mounted_dashboards() -> None:
    provider = yaml.safe_load((PROVISIONING_DIR / "dashboards" / "nightwatch.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    grafana: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][
        "grafana"
    ]
    assert f"./monitoring/grafana/dashboards:{path}:ro" in grafana["volumes"]
    assert "./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert grafana["environment"]["GF_SECURITY_ADMIN_USER"] == "${GRAFANA_ADMIN_USER:-admin}"
    assert (
        grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "${GRAFANA_ADMIN_PASSWORD:-admin}"
    )
