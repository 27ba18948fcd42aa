"""docker-compose.yml and the Dockerfiles, proven without a Docker engine: `docker compose config`
(compose v2's own parser and validator) and hadolint, plus the properties the design asks for."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.ops.tooling import COMPOSE_BINARY, ROOT, binary, run

PYTHON_SERVICES = [
    "api-gateway", "alert-ingestion", "incident-management", "oncall-escalation", "notification",
]  # fmt: skip
CONTAINERS = {*PYTHON_SERVICES, "web-ui", "postgres", "prometheus", "grafana"}
# The one recipe of every service image (web-ui/Dockerfile belongs to the web UI's tests;
# run-pipeline.sh lints both).
SERVICE_DOCKERFILE = ROOT / "services" / "Dockerfile"


def _compose(env_file: Path = Path("/dev/null")) -> dict[str, Any]:
    """The fully resolved model, as compose itself computes it (interpolated, anchors merged).

    An explicit env file (empty by default) so a developer's own .env cannot change the result.
    """
    argv = [str(COMPOSE_BINARY), "--project-directory", str(ROOT), "-f", "docker-compose.yml"]
    result = run([*argv, "--env-file", str(env_file), "config", "--format", "json"])
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    return _compose()


def test_compose_config_is_valid() -> None:
    result = run([str(COMPOSE_BINARY), "-f", "docker-compose.yml", "config", "--quiet"])
    assert result.returncode == 0, result.stderr


def test_compose_config_rejects_a_broken_file(tmp_path: Path) -> None:
    """The binary really validates: a healthcheck condition on an undefined service fails."""
    broken = tmp_path / "docker-compose.yml"
    text = (ROOT / "docker-compose.yml").read_text()
    broken.write_text(
        text.replace("      postgres:\n        condition", "      nosuch:\n        condition", 1)
    )
    result = run([str(COMPOSE_BINARY), "-f", str(broken), "config", "--quiet"], cwd=tmp_path)
    assert result.returncode != 0
    assert 'undefined service "nosuch"' in result.stderr


def test_the_nine_containers_of_the_design(model: dict[str, Any]) -> None:
    assert set(model["services"]) == CONTAINERS
    assert model["services"]["postgres"]["image"] == "postgres:15-alpine"


def test_only_the_public_entries_are_published_on_every_interface(model: dict[str, Any]) -> None:
    """Issue #12: the domain services and PostgreSQL are not reachable from other machines."""
    public = {"api-gateway", "web-ui", "grafana", "prometheus"}
    for name, service in model["services"].items():
        for port in service.get("ports", []):
            if name in public:
                assert port.get("host_ip", "") in ("", "0.0.0.0"), (name, port)
            else:
                assert port["host_ip"] == "127.0.0.1", (name, port)
    assert model["services"]["postgres"]["ports"][0]["published"] == "5432"
    for name in PYTHON_SERVICES:
        anonymous = model["services"][name]["environment"]["ANONYMOUS_LOOPBACK"]
        assert anonymous == "false", name


def test_every_container_has_a_healthcheck_and_a_restart_policy(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        assert service.get("restart") == "unless-stopped", name
        if name in PYTHON_SERVICES:  # the image's HEALTHCHECK (test_service_image_...)
            assert service["build"]["dockerfile"] == "services/Dockerfile", name
            assert "healthcheck" not in service, name
        else:
            assert " ".join(service["healthcheck"]["test"]), name


def test_start_order_waits_for_healthy_dependencies(model: dict[str, Any]) -> None:
    services = model["services"]
    for name in PYTHON_SERVICES:
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    gateway_deps = services["api-gateway"]["depends_on"]
    assert {n for n in PYTHON_SERVICES if n != "api-gateway"} <= set(gateway_deps)
    assert services["web-ui"]["depends_on"]["api-gateway"]["condition"] == "service_healthy"
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"
    for service in services.values():
        for dependency in service.get("depends_on", {}).values():
            assert dependency["condition"] == "service_healthy"


def test_named_volumes_and_mounts_exist(model: dict[str, Any]) -> None:
    assert {"postgres-data", "prometheus-data", "grafana-data"} <= set(model["volumes"])
    postgres_targets = {v["target"]: v for v in model["services"]["postgres"]["volumes"]}
    assert postgres_targets["/var/lib/postgresql/data"]["type"] == "volume"
    for service in model["services"].values():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), volume["source"]
                assert volume.get("read_only"), volume["target"]


def test_secrets_have_working_defaults_and_come_from_the_env_file(tmp_path: Path) -> None:
    defaults = _compose()["services"]
    assert defaults["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "admin"
    assert (
        "nightwatch:nightwatch@postgres:5432"
        in defaults["alert-ingestion"]["environment"]["DATABASE_URL"]
    )
    env_file = tmp_path / "prod.env"
    env_file.write_text("POSTGRES_PASSWORD=s3cret\nGRAFANA_ADMIN_PASSWORD=changed\n")
    custom = _compose(env_file=env_file)["services"]
    assert custom["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "changed"
    assert custom["postgres"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"
    assert "nightwatch:s3cret@postgres" in custom["notification"]["environment"]["DATABASE_URL"]


def test_env_example_lists_every_variable_compose_reads() -> None:
    compose_text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+):-", compose_text))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert used == listed


def test_hadolint_passes() -> None:
    result = run([binary("hadolint"), "--no-color", str(SERVICE_DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_really_lints(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    result = run([binary("hadolint"), "--no-color", str(bad)])
    assert result.returncode != 0 and "DL3007" in result.stdout


def _stages() -> dict[str, str]:
    """The recipe's stages by name, each with its instructions (continuation lines joined)."""
    text = SERVICE_DOCKERFILE.read_text().replace("\\\n", " ")
    parts = re.split(r"^FROM \S+ AS (\w+)\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_service_image_is_multi_stage_locked_non_root_with_healthcheck() -> None:
    text = SERVICE_DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, flags=re.MULTILINE)
    assert len(stages) >= 2 and all("slim" in image or image == "uv" for image, _ in stages)
    assert "uv export --frozen --no-dev" in text and "--require-hashes" in text
    user = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert user and not user[-1].startswith(("root", "0"))
    assert re.search(r"^HEALTHCHECK .*\n?.*nightwatch_core.serve.*--check", text, re.MULTILINE)


def test_service_image_takes_only_its_own_service_code() -> None:
    """Only the requirements export sees every service; the layers an image keeps copy libs/
    and services/${SERVICE} alone, so a change to one service rebuilds only its image."""
    stages = _stages()
    assert set(stages) == {"uv", "requirements", "build", "runtime"}
    assert "COPY services/ services/" in stages["requirements"]
    for name in ("build", "runtime"):
        copies = re.findall(r"^COPY (?!--from)(\S+)", stages[name], flags=re.MULTILINE)
        outside = [c for c in copies if c.startswith("services/")]
        assert all(c.startswith("services/${SERVICE}/") for c in outside), (name, copies)
    assert "COPY --from=requirements /requirements.txt" in stages["build"]


@pytest.mark.parametrize("name", PYTHON_SERVICES)
def test_requirements_stage_exports_each_service(name: str, tmp_path: Path) -> None:
    """The requirements stage's RUN line, as written, for every service compose builds (uv only
    reads the lock here: no network)."""
    run_line = re.findall(r"^RUN (.*)$", _stages()["requirements"], flags=re.MULTILINE)[0]
    output = tmp_path / "requirements.txt"
    command = run_line.replace("/requirements.txt", str(output))
    uv = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    command = command.replace("${SERVICE}", name).replace("uv export", f"{uv} export")
    result = run(["bash", "-c", command])
    assert result.returncode == 0, result.stderr
    exported = output.read_text()
    assert "fastapi==" in exported and "--hash=sha256:" in exported
    # The workspace's own packages come from libs/ and services/${SERVICE}, not from an index.
    assert not re.search(r"^nightwatch", exported, flags=re.MULTILINE)


def test_requirements_stage_refuses_a_missing_service(tmp_path: Path) -> None:
    run_line = re.findall(r"^RUN (.*)$", _stages()["requirements"], flags=re.MULTILINE)[0]
    command = run_line.replace("/requirements.txt", str(tmp_path / "r.txt"))
    for service in ("no-such-service", ""):
        assert run(["bash", "-c", command.replace("${SERVICE}", service)]).returncode != 0
