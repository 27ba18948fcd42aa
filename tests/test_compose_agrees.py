"""docker-compose.yml, `make up` (tools/stack.toml + tools/stack.py) and the Kubernetes manifests
(deploy/kubernetes/, rendered by kustomize) run the same stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.kubernetes import (
    KUBERNETES,
    by_kind,
    container_environment,
    documents,
    main_container,
    render,
)
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
    # The image recipe is told the same service, app factory and port; make up runs the same
    # command (nightwatch_core.serve) with them; compose runs the image's CMD, no command of its own.
    assert service["build"]["args"] == {"SERVICE": name, "APP": spec["module"], "PORT": str(port)}
    assert "command" not in service and "healthcheck" not in service
    local_env = _stack_env(name)
    assert f"-m nightwatch_core.serve {spec['module']} " in local_env["_argv"]
    assert f"--port {port}" in local_env["_argv"]
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
    python_services = {
        n
        for n, s in compose.items()
        if s.get("build", {}).get("dockerfile") == "services/Dockerfile"
    }
    assert python_services == set(STACK)


def test_postgres_runs_init_sql_on_first_start(compose: dict[str, Any]) -> None:
    mounts = compose["postgres"]["volumes"]
    assert any(m.startswith("./database/init.sql:/docker-entrypoint-initdb.d/") for m in mounts)


def _dockerfile_instruction(instruction: str) -> str:
    text = (ROOT / "services" / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line for line in text.splitlines() if line.startswith(instruction + " ")]
    return lines[-1].removeprefix(instruction + " ").strip()


def test_the_image_runs_and_checks_what_make_up_runs() -> None:
    """The one recipe's CMD and HEALTHCHECK are nightwatch_core.serve, told the service by the
    build arguments compose passes (test above); `make up` runs the same module."""
    import json

    assert json.loads(_dockerfile_instruction("CMD")) == ["python", "-m", "nightwatch_core.serve"]
    healthcheck = _dockerfile_instruction("HEALTHCHECK")
    assert healthcheck.endswith('CMD ["python", "-m", "nightwatch_core.serve", "--check"]')
    assert _dockerfile_instruction("EXPOSE") == "${PORT}"
    environment = _dockerfile_instruction("ENV")
    for baked in ("SERVICE_NAME=${SERVICE}", "NIGHTWATCH_APP=${APP}", "NIGHTWATCH_PORT=${PORT}"):
        assert baked in environment.split()


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


@pytest.fixture(scope="module")
def kubernetes() -> list[dict[str, Any]]:
    return documents(render(KUBERNETES / "overlays" / "production"))


@pytest.mark.parametrize("name", list(STACK))
def test_kubernetes_runs_the_same_image_port_environment_and_probes(
    compose: dict[str, Any], kubernetes: list[dict[str, Any]], name: str
) -> None:
    port = STACK[name]["port"]
    deployment = by_kind(kubernetes, "Deployment")[name]
    container = main_container(deployment)
    assert container["image"] == compose[name]["image"]
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    service_ports = by_kind(kubernetes, "Service")[name]["spec"]["ports"]
    assert [(p["port"], p["targetPort"]) for p in service_ports] == [(port, "http")]
    # No command: the image's CMD, which compose runs too (test_the_image_runs_and_checks_...).
    assert "command" not in container and "args" not in container
    env = container_environment(container, by_kind(kubernetes, "ConfigMap"))
    compose_env = compose[name]["environment"]
    assert set(compose_env) <= set(env), f"{name}: Kubernetes lacks {set(compose_env) - set(env)}"
    local_keys = {k for k in _stack_env(name) if not k.startswith("_")}
    assert local_keys <= set(env), f"{name}: Kubernetes lacks {local_keys - set(env)}"
    assert env["SERVICE_NAME"] == name and env["ANONYMOUS_LOOPBACK"] == "false"
    for other_spec in STACK.values():
        assert env[other_spec["url_env"]] == compose_env[other_spec["url_env"]]
    # Readiness is the same check the image's HEALTHCHECK and `make up`'s wait use.
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert compose[name]["build"]["args"]["PORT"] == str(port)  # what the image's check probes
    assert _stack_env(name) and f"127.0.0.1:{port}/health/ready" in _ready_url(name)


def _ready_url(name: str) -> str:
    config = StackConfig(
        state_dir=Path("/nonexistent"), host="127.0.0.1", port_offset=0, ready_timeout=1
    )
    return {p.name: p.ready_url for p in service_processes(config, "postgresql://x@y/z")}[name]


def test_kubernetes_serves_the_ui_and_postgres_of_compose(
    compose: dict[str, Any], kubernetes: list[dict[str, Any]]
) -> None:
    ui = __import__("tomllib").loads((ROOT / "tools" / "stack.toml").read_text())["ui"]
    container = main_container(by_kind(kubernetes, "Deployment")["web-ui"])
    assert container["image"] == compose["web-ui"]["image"]
    assert container["ports"] == [{"name": "http", "containerPort": ui["port"]}]
    gateway_port = STACK[ui["gateway"]]["port"]
    assert {"name": "GATEWAY_UPSTREAM", "value": f"api-gateway:{gateway_port}"} in container["env"]
    dev = documents(render(KUBERNETES / "overlays" / "dev"))
    postgres = by_kind(dev, "StatefulSet")["postgres"]["spec"]["template"]["spec"]["containers"][0]
    assert postgres["image"] == compose["postgres"]["image"]


def test_images_are_tagged_with_the_project_version(compose: dict[str, Any]) -> None:
    version = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"][
        "version"
    ]
    for name in [*STACK, "web-ui"]:
        assert compose[name]["image"] == f"nightwatch/{name}:{version}"
