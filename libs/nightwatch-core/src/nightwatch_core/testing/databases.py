"""Throwaway PostgreSQL databases for a test run.

``TEST_DATABASE_URL`` names a server (any database on it; we create our own beside it). Without it
an embedded PostgreSQL (pgserver) is started in ``.stack/test-pgdata`` for the run.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from nightwatch_core.migrations import apply_migrations, libpq_dsn, load_migrations
from nightwatch_core.settings import to_asyncpg_url


def server_url(repo_root: Path) -> str:
    """A libpq URL of a PostgreSQL server the tests may create databases on."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return libpq_dsn(to_asyncpg_url(url))
    import pgserver

    data = repo_root / ".stack" / "test-pgdata"
    data.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data, cleanup_mode="stop")
    return str(server.get_uri("postgres"))


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


async def create_database(admin_url: str, *, repo_root: Path, prefix: str = "nw_test") -> str:
    """Create a fresh database migrated to the latest schema; return its libpq URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = with_database(admin_url, name)
    await apply_migrations(url, load_migrations(repo_root / "database" / "migrations"))
    return url


async def drop_database(admin_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
