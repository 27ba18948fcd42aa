"""docker-compose.yml and `make up` (tools/stack.toml + tools/stack.py) run the same stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.stack_runner import ROOT
from tools.stack import StackConfig, service_processes

STACK = __import__("tomllib").loads((ROOT / "tools" / "stack.toml").read_text())["services"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _stack_env(name: str) -> dict[str, str]:
    config = StackConfig(
        state_dir=Path("/nonexistent"), host="127.0.0.1", port_offset=0, ready_timeout=1
    )
    processes = {p.name: p for p in service_processes(config, "postgresql://x@y/z")}
    return processes[name].env | {"_argv": " ".join(processes[name].argv)}


@pytest.mark.parametrize("name", list(STACK))
def test_each_service_has_the_same_port_module_and_environment(
    compose: dict[str, Any], name: str
) -> None:
    assert name in compose, f"{name} is missing from docker-compose.yml"
    service, spec = compose[name], STACK[name]
    port = spec["port"]
    published = f"{port}:{port}" if name == "api-gateway" else f"127.0.0.1:{port}:{port}"
    assert service["ports"] == [published]
    command = service["command"]
    assert spec["module"] in command
    assert command[command.index("--port") + 1] == str(port)
    local_env = _stack_env(name)
    assert spec["module"] in local_env["_argv"] and f"--port {port}" in local_env["_argv"]
    # The same HTTP protocol (one write per response) in containers and local processes.
    protocol = "nightwatch_core.http_protocol:HttpToolsProtocol"
    assert command[command.index("--http") + 1] == protocol
    assert f"--http {protocol}" in local_env["_argv"]
    compose_env = service["environment"]
    local_keys = {k for k in local_env if not k.startswith("_")}
    assert local_keys <= set(compose_env), f"{name}: compose lacks {local_keys - set(compose_env)}"
    # Loopback-bound `make up` serves anonymous direct calls; containers never do (issue #12).
    assert local_env["ANONYMOUS_LOOPBACK"] == "true"
    assert compose_env["ANONYMOUS_LOOPBACK"] == "false"
    assert compose_env["SERVICE_NAME"] == name
    # Neighbour URLs point at the same ports in both.
    for other, other_spec in STACK.items():
        assert compose_env[other_spec["url_env"]] == f"http://{other}:{other_spec['port']}"
        assert local_env[other_spec["url_env"]].endswith(f":{other_spec['port']}")


def test_compose_has_no_python_service_that_make_up_lacks(compose: dict[str, Any]) -> None:
    python_services = {n for n, s in compose.items() if "uvicorn" in " ".join(s.get("command", []))}
    assert python_services == set(STACK)


def test_postgres_runs_init_sql_on_first_start(compose: dict[str, Any]) -> None:
    mounts = compose["postgres"]["volumes"]
    assert any(m.startswith("./database/init.sql:/docker-entrypoint-initdb.d/") for m in mounts)


def _dockerfile_instruction(name: str, instruction: str) -> str:
    text = (ROOT / "services" / name / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line for line in text.splitlines() if line.startswith(instruction + " ")]
    return lines[-1].removeprefix(instruction + " ").strip()


@pytest.mark.parametrize("name", list(STACK))
def test_image_runs_what_compose_and_make_up_run(compose: dict[str, Any], name: str) -> None:
    import json

    port = STACK[name]["port"]
    assert json.loads(_dockerfile_instruction(name, "CMD")) == compose[name]["command"]
    assert _dockerfile_instruction(name, "EXPOSE") == str(port)
    assert f"127.0.0.1:{port}/health/ready" in _dockerfile_instruction(name, "HEALTHCHECK")
    assert f"127.0.0.1:{port}/health/ready" in " ".join(compose[name]["healthcheck"]["test"])
    assert compose[name]["build"]["dockerfile"] == f"services/{name}/Dockerfile"


def test_prometheus_scrapes_the_same_services_in_compose_and_make_up() -> None:
    from tools import prometheus_local

    def jobs(config: dict[str, Any]) -> dict[str, list[str]]:
        return {
            job["job_name"]: [t for s in job["static_configs"] for t in s["targets"]]
            for job in config["scrape_configs"]
        }

    in_compose = jobs(prometheus_local.compose_config())
    assert in_compose.pop("prometheus") == ["localhost:9090"]
    assert in_compose == {name: [f"{name}:{spec['port']}"] for name, spec in STACK.items()}
    offset = 20000
    ports = {name: spec["port"] + offset for name, spec in STACK.items()}
    local = jobs(prometheus_local.local_config(ports, prometheus_port=29090, scrape_interval="5s"))
    assert local.pop("prometheus") == ["127.0.0.1:29090"]
    assert local == {name: [f"127.0.0.1:{port}"] for name, port in ports.items()}


def test_make_up_says_when_prometheus_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tools.stack import prometheus_process

    config = StackConfig(state_dir=tmp_path, host="127.0.0.1", port_offset=0, ready_timeout=1)
    monkeypatch.setenv("PROMETHEUS_BIN", str(tmp_path / "no-such-prometheus"))
    assert prometheus_process(config) is None
    monkeypatch.setenv("PROMETHEUS_BIN", "/usr/bin/env")  # any file: the command is built
    process = prometheus_process(config)
    assert process is not None and process.port == 9090
    assert process.ready_url == "http://127.0.0.1:9090/-/ready"
    assert (tmp_path / "prometheus" / "prometheus.yml").is_file()
