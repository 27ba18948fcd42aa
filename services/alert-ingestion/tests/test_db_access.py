"""Ingestion reaches PostgreSQL two ways, one per kind of work (docs/architecture.md, "One
database access per kind of work"): the hot path, the workers, the caches and the stats run SQL
statements on the raw asyncpg pool; the CRUD and list routes run SQLAlchemy Core tables on
sessions. A module does one or the other, and no SQL text rides on a session."""

from __future__ import annotations

import ast
from pathlib import Path

import nightwatch_ingestion

SOURCE = Path(nightwatch_ingestion.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_mixes_raw_asyncpg_and_sqlalchemy() -> None:
    modules = sorted(SOURCE.rglob("*.py"))
    assert len(modules) > 20
    mixed = []
    for path in modules:
        imported = _imports(path)
        raw = any(name == "asyncpg" or name.startswith("asyncpg.") for name in imported)
        orm = any(name.startswith("sqlalchemy") for name in imported)
        if raw and orm:
            mixed.append(str(path.relative_to(SOURCE)))
    assert mixed == []


def test_no_sql_text_on_a_session() -> None:
    offenders = [
        str(path.relative_to(SOURCE))
        for path in sorted(SOURCE.rglob("*.py"))
        if "sqlalchemy.text" in _imports(path) or "exec_driver_sql" in path.read_text()
    ]
    assert offenders == []
