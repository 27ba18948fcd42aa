"""Repository rules that keep one `make test` run able to collect every service's tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_test_folders_are_not_packages() -> None:
    """pytest runs with --import-mode=importlib, which names a test module by its path
    (services.api-gateway.tests.conftest). An __init__.py turns a folder into a package called
    `tests`, and then two services' `tests.conftest` collide. Relative imports work without it."""
    offenders = [
        str(path.relative_to(ROOT))
        for pattern in (
            "tests/**/__init__.py",
            "services/*/tests/**/__init__.py",
            "libs/*/tests/**/__init__.py",
        )
        for path in ROOT.glob(pattern)
    ]
    assert offenders == [], f"remove these __init__.py files: {offenders}"


def test_service_packages_have_unique_import_names() -> None:
    packages = [p.name for p in ROOT.glob("services/*/src/*") if (p / "__init__.py").exists()]
    assert len(packages) == len(set(packages)) == 5
    assert all(name.startswith("nightwatch_") for name in packages)
