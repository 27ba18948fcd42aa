"""The versioned migrations and database/init.sql give the identical schema."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from nightwatch_core.migrations import apply_migrations, load_migrations, render_init_sql
from nightwatch_core.testing.databases import drop_database, with_database

SCHEMA_QUERIES = {
    "columns": """
        SELECT table_schema, table_name, column_name, data_type, is_nullable,
               coalesce(column_default, ''), ordinal_position
        FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2, 3""",
    "constraints": """
        SELECT n.nspname, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2""",
    "indexes": """
        SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3""",
    "triggers": """
        SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT tgisinternal
        ORDER BY 1""",
    "functions": """
        SELECT n.nspname, p.proname, p.prosrc FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2""",
    "schemas": """
        SELECT nspname FROM pg_namespace
        WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema' ORDER BY 1""",
    "versions": "SELECT version FROM public.schema_migrations ORDER BY 1",
}


async def describe_schema(url: str) -> dict[str, list[tuple]]:
    connection = await asyncpg.connect(url)
    try:
        return {
            name: [tuple(row) for row in await connection.fetch(query)]
            for name, query in SCHEMA_QUERIES.items()
        }
    finally:
        await connection.close()


@pytest.fixture
async def empty_database(pg_server_url: str):
    import uuid

    name = f"nw_schema_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(pg_server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = with_database(pg_server_url, name)
    yield url
    await drop_database(pg_server_url, url)


async def test_init_sql_gives_the_same_schema_as_the_migrations(
    database_url: str, empty_database: str, repo_root: Path
) -> None:
    init_sql = (repo_root / "database" / "init.sql").read_text()
    connection = await asyncpg.connect(empty_database)
    try:
        await connection.execute(init_sql)
    finally:
        await connection.close()
    from_migrations = await describe_schema(database_url)
    from_init_sql = await describe_schema(empty_database)
    assert from_migrations["columns"], "the schema should not be empty"
    for part in SCHEMA_QUERIES:
        assert from_init_sql[part] == from_migrations[part], f"{part} differ"


def test_init_sql_is_regenerated_from_the_migrations(repo_root: Path) -> None:
    migrations = load_migrations(repo_root / "database" / "migrations")
    on_disk = (repo_root / "database" / "init.sql").read_text()
    assert on_disk == render_init_sql(migrations), "database/init.sql is stale: run `make init-sql`"


async def test_applying_twice_changes_nothing(database_url: str, repo_root: Path) -> None:
    migrations = load_migrations(repo_root / "database" / "migrations")
    assert await apply_migrations(database_url, migrations) == []


async def test_a_database_made_by_init_sql_needs_no_migration(
    empty_database: str, repo_root: Path
) -> None:
    connection = await asyncpg.connect(empty_database)
    await connection.execute((repo_root / "database" / "init.sql").read_text())
    await connection.close()
    migrations = load_migrations(repo_root / "database" / "migrations")
    assert await apply_migrations(empty_database, migrations) == []


async def test_uuid_keys_need_no_extension(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        extensions = {
            r["extname"] for r in await connection.fetch("SELECT extname FROM pg_extension")
        }
    finally:
        await connection.close()
    # pg_trgm is optional (migration 0120 indexes the incident search with it when it can).
    assert extensions <= {"plpgsql", "pg_trgm"}


async def test_without_pg_trgm_the_search_migration_still_applies(
    empty_database: str, repo_root: Path
) -> None:
    """An embedded server without contrib cannot create pg_trgm: stand in for that by a
    function in its way (CREATE EXTENSION then fails), apply every migration, and search."""
    connection = await asyncpg.connect(empty_database)
    try:
        await connection.execute(
            "CREATE FUNCTION public.show_trgm(text) RETURNS text[] LANGUAGE sql AS 'SELECT NULL::text[]'"
        )
        await apply_migrations(
            empty_database, load_migrations(repo_root / "database" / "migrations")
        )
        extensions = {
            r["extname"] for r in await connection.fetch("SELECT extname FROM pg_extension")
        }
        indexes = {
            r["indexname"]
            for r in await connection.fetch(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'incidents'"
            )
        }
        await connection.execute(
            "INSERT INTO incidents.incidents (title, service, severity, description) "
            "VALUES ('Disk full', 'db-1', 'high', 'Labels: cluster=eu')"
        )
        found = await connection.fetchval(
            "SELECT count(*) FROM incidents.incidents "
            "WHERE incidents.search_text(title, service, description) ILIKE '%CLUSTER=EU%'"
        )
    finally:
        await connection.close()
    assert "pg_trgm" not in extensions
    assert not {"incidents_search_trgm_idx", "incidents_service_trgm_idx"} & indexes
    assert found == 1


async def _new_incident(connection: asyncpg.Connection) -> object:
    return await connection.fetchval(
        "INSERT INTO incidents.incidents (title, service, severity) "
        "VALUES ('t', 'svc', 'high') RETURNING id"
    )


async def test_timeline_rejects_update_and_delete(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            incident_id = await _new_incident(connection)
            entry = await connection.fetchval(
                "INSERT INTO incidents.incident_timeline (incident_id, event_type, actor) "
                "VALUES ($1, 'created', 'test') RETURNING id",
                incident_id,
            )
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                async with connection.transaction():
                    await connection.execute(
                        "UPDATE incidents.incident_timeline SET actor = 'x' WHERE id = $1", entry
                    )
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                async with connection.transaction():
                    await connection.execute(
                        "DELETE FROM incidents.incident_timeline WHERE id = $1", entry
                    )
            assert (
                await connection.fetchval(
                    "SELECT actor FROM incidents.incident_timeline WHERE id = $1", entry
                )
                == "test"
            )
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await connection.close()


class _Rollback(Exception):
    pass


@pytest.mark.parametrize(("status", "severity"), [("closed", "high"), ("open", "urgent")])
async def test_incident_status_and_severity_are_constrained(
    database_url: str, status: str, severity: str
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute(
                "INSERT INTO incidents.incidents (title, service, severity, status) "
                "VALUES ('t', 's', $1, $2)",
                severity,
                status,
            )
    finally:
        await connection.close()


def test_migration_file_names_are_checked(tmp_path: Path) -> None:
    (tmp_path / "1_bad.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match=r"0001_name\.sql"):
        load_migrations(tmp_path)


async def test_wait_returns_once_every_migration_is_applied(
    database_url: str, empty_database: str, repo_root: Path
) -> None:
    """Kubernetes' init container: a fresh database is missing all of them, a migrated one none."""
    from nightwatch_core.migrations import wait_for_migrations

    migrations = load_migrations(repo_root / "database" / "migrations")
    missing = await wait_for_migrations(empty_database, migrations, wait_seconds=0, interval=0)
    assert missing == [m.version for m in migrations]
    await apply_migrations(empty_database, migrations[:1])
    missing = await wait_for_migrations(empty_database, migrations, wait_seconds=0, interval=0)
    assert missing == [m.version for m in migrations[1:]]
    assert await wait_for_migrations(database_url, migrations, wait_seconds=0, interval=0) == []


async def test_wait_treats_an_unreachable_database_as_not_migrated(repo_root: Path) -> None:
    from nightwatch_core.migrations import wait_for_migrations

    migrations = load_migrations(repo_root / "database" / "migrations")
    unreachable = "postgresql://postgres@127.0.0.1:1/nowhere"
    missing = await wait_for_migrations(unreachable, migrations, wait_seconds=0, interval=0)
    assert len(missing) == len(migrations)
