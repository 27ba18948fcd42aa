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
    assert f"{port}:{port}" in service["ports"]
    command = service["command"]
    assert spec["module"] in command
    assert command[command.index("--port") + 1] == str(port)
    local_env = _stack_env(name)
    assert spec["module"] in local_env["_argv"] and f"--port {port}" in local_env["_argv"]
    compose_env = service["environment"]
    local_keys = {k for k in local_env if not k.startswith("_")}
    assert local_keys <= set(compose_env), f"{name}: compose lacks {local_keys - set(compose_env)}"
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
