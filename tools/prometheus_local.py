"""Prometheus beside the local stack: `make up` runs Debian's `prometheus` binary when present.

The configuration is monitoring/prometheus/prometheus.yml (the file docker-compose mounts) with
only the targets rewritten to ``127.0.0.1:<port + offset>`` and the rule files made absolute, so
the jobs, labels and alert rules are the same in both ways of running Nightwatch.

Environment:
  PROMETHEUS_BIN              the binary (default: `prometheus` on PATH); missing -> not started
  PROMETHEUS_SCRAPE_INTERVAL  scrape and rule evaluation interval for the local one (default 5s)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS_DIR = ROOT / "monitoring" / "prometheus"
PROMETHEUS_PORT = 9090
DEFAULT_SCRAPE_INTERVAL = "5s"


def compose_config() -> dict[str, Any]:
    """The Prometheus configuration as docker-compose runs it."""
    loaded: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    return loaded


def _local_targets(
    target: str, ports: dict[str, int | list[int]], prometheus_port: int
) -> list[str]:
    host, _, port = target.rpartition(":")
    if host == "localhost" and int(port) == PROMETHEUS_PORT:
        return [f"127.0.0.1:{prometheus_port}"]
    if host not in ports:
        raise ValueError(f"prometheus.yml scrapes {target!r}, which is not a stack service")
    local = ports[host]  # a list: each replica of `make up REPLICAS=N`
    return [f"127.0.0.1:{p}" for p in (local if isinstance(local, list) else [local])]


def local_config(
    ports: dict[str, int | list[int]], *, prometheus_port: int, scrape_interval: str
) -> dict[str, Any]:
    """compose's configuration pointed at the local processes.

    ``ports`` maps each stack service name (the compose host name) to the port it listens on.
    """
    config = compose_config()
    config["global"]["scrape_interval"] = scrape_interval
    config["global"]["evaluation_interval"] = scrape_interval
    # A scrape may not take longer than the interval.
    config["global"]["scrape_timeout"] = scrape_interval
    config["rule_files"] = [str(PROMETHEUS_DIR / pattern) for pattern in config["rule_files"]]
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            static["targets"] = [
                local
                for target in static["targets"]
                for local in _local_targets(target, ports, prometheus_port)
            ]
    return config


def prometheus_binary() -> str | None:
    configured = os.environ.get("PROMETHEUS_BIN")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("prometheus")


def prometheus_argv(
    binary: str,
    state_dir: Path,
    ports: dict[str, int | list[int]],
    *,
    prometheus_port: int,
    scrape_interval: str | None = None,
) -> list[str]:
    """Write the local configuration under ``state_dir`` and return the command that runs it."""
    interval = scrape_interval or os.environ.get(
        "PROMETHEUS_SCRAPE_INTERVAL", DEFAULT_SCRAPE_INTERVAL
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    config_file = state_dir / "prometheus.yml"
    config = local_config(ports, prometheus_port=prometheus_port, scrape_interval=interval)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return [
        binary,
        f"--config.file={config_file}",
        f"--storage.tsdb.path={state_dir / 'data'}",
        "--storage.tsdb.retention.time=2d",
        f"--web.listen-address=127.0.0.1:{prometheus_port}",
        "--log.level=warn",
    ]
