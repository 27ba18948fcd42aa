"""Prometheus configuration and alert rules, checked and unit-tested with promtool."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.ops.tooling import PROMETHEUS_DIR, binary, run
from tools import prometheus_local

RULES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))


def _alert_names() -> set[str]:
    names = set()
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["alert"] for rule in group["rules"] if "alert" in rule}
    return names


def test_compose_configuration_passes_promtool() -> None:
    result = run([binary("promtool"), "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(RULES)} rule files found" in result.stdout + result.stderr


def test_local_configuration_passes_promtool(tmp_path: Path) -> None:
    argv = prometheus_local.prometheus_argv(
        "prometheus",
        tmp_path,
        {
            "api-gateway": 18080,
            "alert-ingestion": 18001,
            "incident-management": 18002,
            "oncall-escalation": 18003,
            "notification": 18004,
        },
        prometheus_port=19090,
        scrape_interval="1s",
    )
    config_file = argv[1].removeprefix("--config.file=")
    result = run([binary("promtool"), "check", "config", config_file])
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(Path(config_file).read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert targets["incident-management"] == ["127.0.0.1:18002"]
    assert targets["prometheus"] == ["127.0.0.1:19090"]
    assert config["global"]["scrape_interval"] == "1s"


def test_rules_pass_promtool_check() -> None:
    result = run([binary("promtool"), "check", "rules", *map(str, RULES)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass() -> None:
    result = run([binary("promtool"), "test", "rules", *map(str, RULE_TESTS)], cwd=PROMETHEUS_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rule_unit_tests_can_fail(tmp_path: Path) -> None:
    """The same tests against rules whose threshold was loosened: promtool must report failures."""
    loosened = tmp_path / "rules"
    loosened.mkdir()
    for path in RULES:
        (loosened / path.name).write_text(path.read_text().replace("== 0", ">= 0"))
    suite = tmp_path / "tests"
    suite.mkdir()
    for path in RULE_TESTS:
        (suite / path.name).write_text(path.read_text())
    result = run([binary("promtool"), "test", "rules", *[str(suite / p.name) for p in RULE_TESTS]])
    assert result.returncode != 0
    assert "NightwatchServiceDown" in result.stdout + result.stderr


def test_every_alert_is_unit_tested_firing_and_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert _alert_names() == firing, "every alert needs a case where it fires"
    assert _alert_names() == quiet, "every alert needs a case where it stays quiet"


def test_the_platform_health_alerts_the_issue_names_exist() -> None:
    assert {
        "NightwatchServiceDown",
        "NightwatchHighErrorRatio",
        "NightwatchIngestionLatencyHigh",
        "NightwatchNotificationsFailing",
        "NightwatchIncidentsUnacknowledged",
    } <= _alert_names()


def test_every_alert_has_severity_summary_and_description() -> None:
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
                assert rule["annotations"]["summary"] and rule["annotations"]["description"]
