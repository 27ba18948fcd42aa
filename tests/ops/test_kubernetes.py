"""deploy/kubernetes/ (issue #17): every rendered manifest valid against the Kubernetes schemas
(kubernetes-validate, strict), the security posture scanned by checkov (no failed check; a
skip carries its reason), and the properties the issue asks for. The agreement with compose and
`make up` is in tests/test_compose_agrees.py."""

from __future__ import annotations

import filecmp
from pathlib import Path
from typing import Any

import pytest

from tests.ops.kubernetes import (
    CLOUDNATIVE_PG,
    KUBERNETES,
    OVERLAYS,
    by_kind,
    documents,
    main_container,
    render,
    render_with_component,
)
from tests.ops.tooling import MONITORING, binary, run

VARIANTS = (*OVERLAYS, "production+cloudnative-pg")
PYTHON_SERVICES = {
    "api-gateway", "alert-ingestion", "incident-management", "oncall-escalation", "notification",
}  # fmt: skip
STATELESS = {*PYTHON_SERVICES, "web-ui"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each variant rendered once, written to its own folder (checkov scans a folder)."""
    root = tmp_path_factory.mktemp("kubernetes")
    outputs = {overlay: render(KUBERNETES / "overlays" / overlay) for overlay in OVERLAYS}
    outputs["production+cloudnative-pg"] = render_with_component(
        root / "with-cnpg", "production", CLOUDNATIVE_PG
    )
    paths = {}
    for variant, text in outputs.items():
        folder = root / variant
        folder.mkdir()
        (folder / "manifests.yaml").write_text(text, encoding="utf-8")
        paths[variant] = folder / "manifests.yaml"
    return paths


def _docs(rendered: dict[str, Path], variant: str) -> list[dict[str, Any]]:
    return documents(rendered[variant].read_text(encoding="utf-8"))


def _validate(path: Path) -> tuple[int, str]:
    result = run([binary("kubernetes-validate"), "--strict", "--quiet", str(path)])
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_manifest_validates_strictly(rendered: dict[str, Path], variant: str) -> None:
    code, output = _validate(rendered[variant])
    assert code == 0 and "ERROR" not in output, output
    # Only the CloudNativePG Cluster (a custom resource) has no schema in Kubernetes itself.
    unknown = [line for line in output.splitlines() if "Couldn't find schema" in line]
    assert all("kind Cluster with api version postgresql.cnpg.io/v1" in u for u in unknown), output


def test_strict_validation_really_rejects_an_unknown_field(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    text = rendered["production"].read_text(encoding="utf-8")
    broken.write_text(text.replace("periodSeconds: 10", "periodSecondz: 10", 1), encoding="utf-8")
    code, output = _validate(broken)
    assert code != 0 and "periodSecondz" in output


def _checkov(folder: Path) -> tuple[int, str]:
    options = ["--framework", "kubernetes", "--compact", "--quiet", "--skip-download"]
    result = run([binary("checkov"), "-d", str(folder), *options])
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_checkov_finds_nothing(rendered: dict[str, Path], variant: str) -> None:
    code, output = _checkov(rendered[variant].parent)
    assert code == 0, output


def test_checkov_really_scans(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: root, namespace: x}\n"
        "spec:\n  containers:\n    - {name: c, image: busybox, securityContext: {privileged: true}}\n",
        encoding="utf-8",
    )
    code, output = _checkov(tmp_path)
    assert code != 0 and "CKV_K8S_16" in output  # privileged container


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_skipped_check_says_why(rendered: dict[str, Path], variant: str) -> None:
    for doc in _docs(rendered, variant):
        for key, value in doc["metadata"].get("annotations", {}).items():
            if key.startswith("checkov.io/skip"):
                check, _, reason = value.partition("=")
                assert check.startswith("CKV"), value
                assert len(reason.split()) >= 5, f"{doc['metadata']['name']}: {value}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_deployments_have_probes_resources_and_a_locked_down_context(
    rendered: dict[str, Path], variant: str
) -> None:
    deployments = by_kind(_docs(rendered, variant), "Deployment")
    assert set(deployments) == STATELESS
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 10000, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert context["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert context["capabilities"]["drop"] == ["ALL"], (name, container["name"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
        app = main_container(deployment)
        assert app["livenessProbe"]["httpGet"]["path"] == "/health", name
        assert app["readinessProbe"]["httpGet"]["path"] == "/health/ready", name
        strategy = deployment["spec"]["strategy"]["rollingUpdate"]
        assert strategy["maxUnavailable"] == 0, name


@pytest.mark.parametrize("variant", ["production", "production+cloudnative-pg"])
def test_each_stateless_service_has_a_disruption_budget_and_an_autoscaler(
    rendered: dict[str, Path], variant: str
) -> None:
    docs = _docs(rendered, variant)
    budgets = by_kind(docs, "PodDisruptionBudget")
    scalers = by_kind(docs, "HorizontalPodAutoscaler")
    for name in STATELESS:
        assert budgets[name]["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        target = scalers[name]["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert scalers[name]["spec"]["minReplicas"] >= 2
        # The autoscaler owns the count: a replicas field would reset it on every apply.
        assert "replicas" not in by_kind(docs, "Deployment")[name]["spec"]


def test_migrations_run_as_a_job_the_deployments_wait_for(rendered: dict[str, Path]) -> None:
    docs = _docs(rendered, "production")
    job = by_kind(docs, "Job")["nightwatch-migrate"]
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command == ["python", "-m", "nightwatch_core.migrations", "apply"]
    for name in PYTHON_SERVICES:
        pod = by_kind(docs, "Deployment")[name]["spec"]["template"]["spec"]
        (init,) = pod["initContainers"]
        assert init["command"][:4] == ["python", "-m", "nightwatch_core.migrations", "wait"]
        # The same image as the service: it waits for the migrations that image ships.
        assert init["image"] == main_container(by_kind(docs, "Deployment")[name])["image"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_secrets_are_referenced_never_committed(rendered: dict[str, Path], variant: str) -> None:
    docs = _docs(rendered, variant)
    assert not by_kind(docs, "Secret")
    secret_names = {"DATABASE_URL", "SERVICE_TOKEN", "JWT_SECRET", "POSTGRES_PASSWORD"}
    for config in by_kind(docs, "ConfigMap").values():
        assert not secret_names & set(config.get("data", {}))
    for kind in ("Deployment", "StatefulSet", "Job"):
        for workload in by_kind(docs, kind).values():
            pod = workload["spec"]["template"]["spec"]
            for container in pod["containers"] + pod.get("initContainers", []):
                for item in container.get("env", []):
                    if item["name"] in secret_names:
                        assert "secretKeyRef" in item["valueFrom"], item


def test_the_cloudnative_pg_component_points_every_database_user_at_its_secret(
    rendered: dict[str, Path],
) -> None:
    docs = _docs(rendered, "production+cloudnative-pg")
    assert "nightwatch-db" in by_kind(docs, "Cluster")
    workloads = [*by_kind(docs, "Deployment").values(), *by_kind(docs, "Job").values()]
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            for item in container.get("env", []):
                if item["name"] == "DATABASE_URL":
                    reference = item["valueFrom"]["secretKeyRef"]
                    assert reference == {"name": "nightwatch-db-app", "key": "uri"}


def test_only_the_ui_and_the_gateway_take_traffic_from_outside(rendered: dict[str, Path]) -> None:
    docs = _docs(rendered, "dev")  # dev also runs PostgreSQL in the namespace
    policies = by_kind(docs, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    open_to_all = [
        policy
        for policy in policies.values()
        for rule in policy["spec"].get("ingress", [])
        if "from" not in rule
    ]
    assert [p["metadata"]["name"] for p in open_to_all] == ["public-entries"]
    selected = open_to_all[0]["spec"]["podSelector"]["matchExpressions"][0]["values"]
    assert set(selected) == {"web-ui", "api-gateway"}
    ingress = by_kind(docs, "Ingress")["nightwatch"]
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"web-ui", "api-gateway"}
    # PostgreSQL: only the Python services and the migrations Job.
    (rule,) = policies["postgres"]["spec"]["ingress"]
    allowed = [peer["podSelector"]["matchLabels"] for peer in rule["from"]]
    assert allowed == [
        {"nightwatch.io/python-service": "true"},
        {"nightwatch.io/database-client": "true"},
    ]
    # The UI's nginx may reach the gateway only (not PostgreSQL).
    (egress,) = policies["web-ui-egress"]["spec"]["egress"]
    assert [p["port"] for p in egress["ports"]] == [8080]


def test_prometheus_scrapes_every_python_service(rendered: dict[str, Path]) -> None:
    for name, deployment in by_kind(_docs(rendered, "production"), "Deployment").items():
        if name not in PYTHON_SERVICES:
            continue
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        port = main_container(deployment)["ports"][0]["containerPort"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(port)
        assert annotations["prometheus.io/path"] == "/metrics"


def test_grafana_dashboards_ship_as_a_config_map_equal_to_monitoring(
    rendered: dict[str, Path],
) -> None:
    config = by_kind(_docs(rendered, "production"), "ConfigMap")["nightwatch-grafana-dashboards"]
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    originals = sorted((MONITORING / "grafana" / "dashboards").glob("*.json"))
    assert set(config["data"]) == {path.name for path in originals}
    copies = KUBERNETES / "base" / "dashboards"
    for original in originals:
        assert filecmp.cmp(original, copies / original.name, shallow=False), (
            f"deploy/kubernetes/base/dashboards/{original.name} differs from monitoring's: "
            "cp monitoring/grafana/dashboards/*.json deploy/kubernetes/base/dashboards/"
        )


# The most PostgreSQL connections all replicas may hold (docs/operations.md, "Connection budget").
CONNECTION_BUDGET = 300


def _connections_per_replica(name: str, size: int, overflow: int) -> int:
    """The process's budget (DB_POOL_SIZE: the raw asyncpg pool and SQLAlchemy's pool together,
    nightwatch_core/settings.py) and the sessions' overflow, plus the gateway's one LISTEN
    connection (credential revocations)."""
    return size + overflow + (1 if name == "api-gateway" else 0)


def test_every_replica_at_its_maximum_stays_within_the_connection_budget(
    rendered: dict[str, Path],
) -> None:
    docs = _docs(rendered, "production+cloudnative-pg")
    config = by_kind(docs, "ConfigMap")["nightwatch-config"]["data"]
    size, overflow = int(config["DB_POOL_SIZE"]), int(config["DB_MAX_OVERFLOW"])
    scalers = by_kind(docs, "HorizontalPodAutoscaler")
    total = sum(
        _connections_per_replica(name, size, overflow) * scalers[name]["spec"]["maxReplicas"]
        for name in PYTHON_SERVICES
    )
    assert total <= CONNECTION_BUDGET
    cluster = by_kind(docs, "Cluster")["nightwatch-db"]
    assert int(cluster["spec"]["postgresql"]["parameters"]["max_connections"]) >= total + 20
