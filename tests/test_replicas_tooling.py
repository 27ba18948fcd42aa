"""`make up REPLICAS=N` without starting anything: the setting, the ports, nginx's configuration
(checked by nginx itself) and Prometheus scraping each replica."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tools import prometheus_local, replicas
from tools.stack import StackConfig, balancer_process, service_processes


def test_replicas_default_to_one_and_refuse_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLICAS", raising=False)
    assert replicas.replica_count() == 1
    monkeypatch.setenv("REPLICAS", "3")
    assert replicas.replica_count() == 3
    for bad in ("0", "-1", "two", "10"):
        monkeypatch.setenv("REPLICAS", bad)
        with pytest.raises(ValueError, match="REPLICAS must be a whole number from 1 to 9"):
            replicas.replica_count()


def test_each_replica_runs_the_service_on_its_own_port(tmp_path: Path) -> None:
    config = StackConfig(state_dir=tmp_path, host="127.0.0.1", port_offset=30000, ready_timeout=1)
    single = {p.name: p for p in service_processes(config, "postgresql://x@y/z")}
    expanded = {p.name: p for p in replicas.expand(list(single.values()), 2)}
    assert set(expanded) == {f"{name}.{k}" for name in single for k in (1, 2)}
    gateway = expanded["api-gateway.2"]
    assert gateway.port == 38280
    assert gateway.argv[gateway.argv.index("--port") + 1] == "38280"
    assert gateway.ready_url == "http://127.0.0.1:38280/health/ready"
    # Same environment: the neighbours are reached on the stack ports, i.e. through nginx.
    assert gateway.env == single["api-gateway"].env
    assert gateway.env["INCIDENT_MANAGEMENT_URL"] == "http://127.0.0.1:38002"


def test_nginx_accepts_the_balancer_configuration(tmp_path: Path) -> None:
    config = StackConfig(state_dir=tmp_path, host="127.0.0.1", port_offset=30000, ready_timeout=1)
    balancer = balancer_process(config, 2)
    assert balancer.ready_url == "http://127.0.0.1:38080/health/ready"
    text = (tmp_path / "balancer" / "nginx.conf").read_text()
    assert "server 127.0.0.1:38101 max_fails=1" in text and "listen 127.0.0.1:38001;" in text
    # Only the gateway's server speaks as the trusted local proxy.
    assert text.count("proxy_bind 127.0.0.2;") == 1
    checked = subprocess.run(
        [*balancer.argv, "-t"], capture_output=True, text=True, timeout=30, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_prometheus_scrapes_every_replica() -> None:
    ports: dict[str, int | list[int]] = {"api-gateway": [8180, 8280], "alert-ingestion": 8001}
    ports |= {n: 1 for n in ("incident-management", "oncall-escalation", "notification")}
    local = prometheus_local.local_config(ports, prometheus_port=9090, scrape_interval="5s")
    jobs = {
        job["job_name"]: [t for s in job["static_configs"] for t in s["targets"]]
        for job in local["scrape_configs"]
    }
    assert jobs["api-gateway"] == ["127.0.0.1:8180", "127.0.0.1:8280"]
    assert jobs["alert-ingestion"] == ["127.0.0.1:8001"]
