"""The fast lanes and the HTTP protocol lean on framework internals: they were verified against
the releases in ``VERIFIED_WITH``, and this fails while the installed ones differ, naming what to
re-check (then update VERIFIED_WITH and the bounds in libs/nightwatch-core/pyproject.toml)."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from nightwatch_core.fast_lane import VERIFIED_WITH
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


@pytest.mark.parametrize("package", sorted(VERIFIED_WITH))
def test_the_installed_framework_is_the_one_the_lanes_were_verified_against(
    package: str,
) -> None:
    verified, recheck = VERIFIED_WITH[package]
    installed = version(package)
    assert installed == verified, (
        f"{package} {installed} is installed; the fast lanes (nightwatch_core/fast_lane.py) and "
        f"http_protocol.py were verified against {verified}. Re-check: {recheck}. Then run "
        "libs/nightwatch-core/tests/test_fast_lane.py, test_http_protocol.py and the lane "
        "equivalence tests of alert-ingestion and the gateway, and update VERIFIED_WITH and "
        "the bounds in libs/nightwatch-core/pyproject.toml."
    )


@pytest.mark.parametrize("package", sorted(VERIFIED_WITH))
def test_the_pyproject_admits_the_verified_release_and_no_later_minor(package: str) -> None:
    requirements = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    bounds = [Requirement(r) for r in requirements if Requirement(r).name == package]
    assert bounds, f"{package} needs bounds in {PYPROJECT} (the fast lanes depend on it)"
    verified, _ = VERIFIED_WITH[package]
    major, minor, *_ = (int(part) for part in verified.split("."))
    assert bounds[0].specifier.contains(verified)
    assert not bounds[0].specifier.contains(f"{major}.{minor + 1}.0"), (
        f"{package}: the pyproject must stop before {major}.{minor + 1} until the lanes are "
        "verified against it"
    )
