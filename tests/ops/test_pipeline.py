"""run-pipeline.sh's shape, checked quickly (the pipeline itself is run by hand: docs/operations.md)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.ops.tooling import ROOT, run

PIPELINE = str(ROOT / "run-pipeline.sh")
STAGES = [
    "Code Quality",
    "Security Scan",
    "Tests & Coverage",
    "Build Images",
    "Image Vulnerability Scan",
    "Deploy",
    "Post-Deploy Verification",
    "Integration Tests (E2E)",
]


def test_the_script_parses_and_lists_the_eight_stages_in_order() -> None:
    assert run(["bash", "-n", PIPELINE]).returncode == 0
    listed = run([PIPELINE, "--list"])
    assert listed.returncode == 0
    assert listed.stdout.splitlines() == [f"{i} {name}" for i, name in enumerate(STAGES, 1)]


def test_image_stages_say_skipped_without_a_docker_engine(tmp_path: Path) -> None:
    # An engine socket that does not exist: the same answer on a machine that has an engine.
    no_engine = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    result = subprocess.run(
        [PIPELINE, "4", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        env=no_engine,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("skipped: no Docker engine") == 2
    assert "| Build Images               | skipped |" in result.stdout
    assert "pipeline: passed" in result.stdout


def test_a_failing_stage_fails_the_pipeline_and_shows_in_the_summary() -> None:
    result = run([PIPELINE, "7"])  # verification with nothing deployed
    assert result.returncode == 1
    assert "| Post-Deploy Verification   | FAILED  |" in result.stdout
    assert "pipeline: FAILED" in result.stdout
