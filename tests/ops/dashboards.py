"""The PromQL and SQL of every dashboard panel and alert rule, ready to evaluate outside Grafana."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from tests.ops.tooling import DASHBOARDS_DIR, PROMETHEUS_DIR

# Variables Grafana defines itself (https://grafana.com/docs/grafana/latest/dashboards/variables/).
GRAFANA_BUILTINS = {
    "__interval",
    "__interval_ms",
    "__rate_interval",
    "__range",
    "__range_s",
    "__range_ms",
    "__timeFilter",
    "__timeFrom",
    "__timeTo",
    "__dashboard",
    "__org",
    "__user",
}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "rate", "increase", "irate",
    "histogram_quantile", "topk", "bottomk", "or", "and", "unless", "on", "ignoring",
    "label_values", "le", "vector", "abs", "clamp_min",
}  # fmt: skip
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Query:
    where: str  # "dashboard / panel title / refId" or "rule AlertName"
    language: str  # "promql" | "sql"
    text: str
    datasource_uid: str


def load_dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARDS_DIR.glob("*.json"))}


def all_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # collapsed rows hold their panels
    return panels


def panel_queries() -> list[Query]:
    queries = []
    for dashboard in load_dashboards().values():
        for panel in all_panels(dashboard):
            for target in panel.get("targets", []):
                uid = (target.get("datasource") or panel["datasource"])["uid"]
                where = f"{dashboard['title']} / {panel['title']} / {target['refId']}"
                if "expr" in target:
                    queries.append(Query(where, "promql", target["expr"], uid))
                else:
                    queries.append(Query(where, "sql", target["rawSql"], uid))
    return queries


def rule_queries() -> list[Query]:
    queries = []
    for path in sorted((PROMETHEUS_DIR / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                name = rule.get("alert") or rule.get("record")
                queries.append(Query(f"rule {name}", "promql", rule["expr"], "prometheus"))
    return queries


def expand_promql(expr: str, *, rate_interval: str, dashboard_range: str) -> str:
    """What Grafana sends Prometheus: its interval macros filled in, "All" for multi-variables."""
    expr = expr.replace("$__rate_interval", rate_interval).replace("$__interval", rate_interval)
    expr = expr.replace("$__range", dashboard_range)
    return re.sub(r"\$\{?service\}?", ".*", expr)


def expand_sql(sql: str, *, dashboard_range: str) -> str:
    """Grafana's $__timeFilter(column) macro as PostgreSQL's own range condition."""
    return re.sub(
        r"\$__timeFilter\((\w+)\)",
        rf"\1 BETWEEN now() - interval '{dashboard_range}' AND now()",
        sql,
    )


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (histogram suffixes folded)."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_matchers = re.sub(r"\{[^}]*\}", "", without_strings)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_matchers)
    without_groupings = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", without_ranges)
    names = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", without_groupings))
    names -= PROMQL_WORDS
    names = {n for n in names if not n.startswith("__")}
    return {
        re.sub(r"_(bucket|sum|count)$", "", n) for n in names if not n.replace(".", "").isdigit()
    }
